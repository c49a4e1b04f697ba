"""What ``vagent serve`` lets a client reach and ask for: roots, video paths, sizes, calls in flight.

Pure checks with no MCP in them; every refusal is a :class:`Refused` whose message is the reason a
client sees (the server turns it into a tool error, never a crash).
"""

from __future__ import annotations

import ipaddress
import json
import os
import stat
import threading
from collections.abc import Iterator, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vagent.tools.corpus import VIDEO_SUFFIXES

MAX_PATH_CHARS = 1024


class Refused(Exception):
    """A request the server will not serve; the message says why (and what is allowed)."""


@dataclass(frozen=True)
class ServeLimits:
    """Bounds on one client's requests.

    Attributes:
        max_argument_bytes: largest JSON size of one call's arguments.
        max_images: most images in one result (also crop_clip's num_frames limit).
        max_image_side: long side in pixels of any image sent (larger ones are scaled down).
        jpeg_quality: JPEG quality of the images sent (1..95).
        max_in_flight: calls one client (one MCP session) may have running at once.
        call_timeout: seconds one call may take, first indexing of its video included.
        max_request_bytes: largest HTTP request body (streamable HTTP only).
    """

    max_argument_bytes: int = 16_384
    max_images: int = 16
    max_image_side: int = 512
    jpeg_quality: int = 85
    max_in_flight: int = 4
    call_timeout: float = 300.0
    max_request_bytes: int = 262_144


def resolve_roots(roots: Sequence[Path]) -> list[Path]:
    """The roots as real folders (``..`` and symlinks resolved); a root that is not a folder is refused."""
    resolved = []
    for root in roots:
        real = Path(os.path.realpath(root))
        if not real.is_dir():
            raise Refused(f"--root {root} is not a folder")
        resolved.append(real)
    if not resolved:
        raise Refused("at least one --root is needed")
    return resolved


def resolve_video(value: Any, roots: Sequence[Path]) -> Path:
    """The real path of the video a client named: inside a root, an existing regular file with a video suffix.

    ``value`` is relative to the first root, or absolute inside any root. ``..`` and symlinks are
    resolved before the root check, so neither can lead outside; outside paths are refused before
    anything is said about whether they exist.
    """
    if not isinstance(value, str) or not value.strip():
        raise Refused("video must be a non-empty string: a path relative to the first root, or absolute inside a root")
    if len(value) > MAX_PATH_CHARS or "\x00" in value:
        raise Refused(f"video is not a usable path (at most {MAX_PATH_CHARS} characters, no NUL)")
    candidate = Path(value) if os.path.isabs(value) else roots[0] / value
    real = Path(os.path.realpath(candidate))
    if not any(real == root or real.is_relative_to(root) for root in roots):
        raise Refused(f"{value!r} is outside the served roots (after resolving '..' and symlinks)")
    try:
        mode = os.stat(real).st_mode
    except OSError:
        raise Refused(f"no such video: {value!r}") from None
    if not stat.S_ISREG(mode):
        raise Refused(f"{value!r} is not a regular file (folders, devices, FIFOs and sockets are not served)")
    if real.suffix.lower() not in VIDEO_SUFFIXES:
        raise Refused(f"{value!r} is not a video file (served suffixes: {', '.join(VIDEO_SUFFIXES)})")
    return real


def check_arguments(arguments: Any, limit: int) -> dict[str, Any]:
    """The arguments as a dict no larger than ``limit`` bytes of JSON."""
    if arguments is None:
        return {}
    if not isinstance(arguments, dict):
        raise Refused(f"arguments must be an object, got {type(arguments).__name__}")
    try:
        size = len(json.dumps(arguments, ensure_ascii=False).encode())
    except (TypeError, ValueError, RecursionError):
        raise Refused("arguments are not plain JSON of ordinary depth") from None
    if size > limit:
        raise Refused(f"arguments are {size} bytes of JSON; the limit is {limit}")
    return dict(arguments)


def is_loopback(host: str) -> bool:
    """Whether ``host`` names this machine only (127.0.0.0/8, ::1, localhost)."""
    if host == "localhost":
        return True
    try:
        return ipaddress.ip_address(host.strip("[]")).is_loopback
    except ValueError:
        return False


class InFlight:
    """Counts each client's calls in flight and refuses one past the limit (never queues)."""

    def __init__(self, limit: int):
        self.limit = limit
        self._counts: dict[int, int] = {}
        self._lock = threading.Lock()

    @contextmanager
    def slot(self, client: int) -> Iterator[None]:
        with self._lock:
            if self._counts.get(client, 0) >= self.limit:
                raise Refused(f"this client already has {self.limit} calls in flight (the limit); wait for one to finish")
            self._counts[client] = self._counts.get(client, 0) + 1
        try:
            yield
        finally:
            with self._lock:
                self._counts[client] -= 1
                if not self._counts[client]:
                    del self._counts[client]
