"""Up-front checks of command-line values: each raises :class:`~vagent.errors.UsageError` naming the rule.

The CLI runs these before any work (indexing, model loading), so a bad value costs nothing and
gets one line that names the option, the rule and the value given.

>>> at_least("--max-turns", 0, 1)
Traceback (most recent call last):
...
vagent.errors.UsageError: --max-turns must be at least 1 (got 0)
"""

from __future__ import annotations

import math
import os
import re
import tempfile
from pathlib import Path

from vagent.errors import UsageError

MAX_OPTIONS = 26
"""Multiple-choice options are lettered A to Z."""
MAX_SEED = 2**32 - 1
"""numpy's seeds are 32-bit."""


def at_least(name: str, value: int | float | None, minimum: int | float) -> None:
    """``value`` (when given) is a finite number >= ``minimum``."""
    if value is None:
        return
    finite(name, value)
    if value < minimum:
        raise UsageError(f"{name} must be at least {minimum} (got {value:g})")


def positive(name: str, value: float | None) -> None:
    """``value`` (when given) is a finite number > 0."""
    if value is None:
        return
    finite(name, value)
    if not value > 0:
        raise UsageError(f"{name} must be greater than 0 (got {value:g})")


def finite(name: str, value: float) -> None:
    if isinstance(value, float) and not math.isfinite(value):
        raise UsageError(f"{name} must be a finite number (got {value})")


def seed(name: str, value: int | None) -> None:
    if value is not None and not 0 <= value <= MAX_SEED:
        raise UsageError(f"{name} must be between 0 and {MAX_SEED} (got {value})")


def text(name: str, value: str | None, what: str) -> None:
    """``value`` (when given) has something besides whitespace."""
    if value is not None and not value.strip():
        raise UsageError(f"{name} is empty: give {what}")


def question(value: str, options: list[str] | None) -> None:
    if not value.strip():
        raise UsageError("the question is empty: ask something about the video")
    if options:
        if len(options) > MAX_OPTIONS:
            raise UsageError(f"--options: at most {MAX_OPTIONS} options (lettered A to Z), got {len(options)}")
        for number, option in enumerate(options, start=1):
            if not option.strip():
                raise UsageError(f"--options: option {number} is empty")


_HOST_PORT = re.compile(r"^[\w.-]+:\d+(/|$)")


def model(value: str | None, server_model: str | None) -> bool:
    """Check ``--model`` / ``--server-model``; True when ``value`` is a server URL."""
    from vagent.agent.openai_policy import url_problem

    if value is None:
        is_url = False
    else:
        if not value.strip():
            raise UsageError("--model is empty: give a model id, a path, 'scripted', or a server URL (or omit it for the default)")
        is_url = value.startswith(("http://", "https://"))
        if not is_url and value.lower().startswith(("http://", "https://")):
            raise UsageError(f"--model {value!r}: write the scheme in lower case (http:// or https://)")
        if is_url:
            problem = url_problem(value)
            if problem:
                raise UsageError(f"--model {value!r} is not a server URL: {problem}")
        elif _HOST_PORT.match(value):
            raise UsageError(f"--model {value!r} looks like a server address: write it as http://{value}")
    if server_model is not None and not is_url:
        raise UsageError("--server-model only applies when --model is a server URL (http://...)")
    return is_url


def _nearest_existing(path: Path) -> Path:
    for candidate in (path, *path.parents):
        if candidate.exists() or candidate.is_symlink():
            return candidate
    return Path(".")


def _writable(name: str, folder: Path) -> None:
    """A file can be created in ``folder`` (tried for real: permissions, read-only mounts, chattr +i)."""
    try:
        fd, probe = tempfile.mkstemp(dir=folder, prefix=".vagent-write-check-")
    except OSError as err:
        raise UsageError(f"{name}: cannot write in {folder} ({err.strerror or err})") from None
    os.close(fd)
    os.unlink(probe)


def folder(name: str, path: Path | None, *, file: Path | None = None) -> None:
    """``path`` (when given) is a writable folder, or one that can be created.

    ``file``: the file that ``name`` gives, when ``path`` is that file's folder (for the message).
    """
    if path is None:
        return
    path = path.expanduser()
    given = f"{name} {file}: its folder {path}" if file is not None else f"{name} {path}"
    existing = _nearest_existing(path)
    if not existing.is_dir():
        where = "is a file" if existing == path else f"is under {existing}, which is a file"
        raise UsageError(f"{given} {where}; give a folder")
    _writable(name if file is None else f"{name} {file}", existing)


def output_file(name: str, path: Path | None) -> None:
    """``path`` (when given) can be written: not a folder, in a folder that is (or can be made) writable."""
    if path is None:
        return
    path = path.expanduser()
    if path.is_dir():
        raise UsageError(f"{name} {path} is a folder; give a file name")
    folder(name, path.parent, file=path)


def input_file(name: str, path: Path) -> None:
    """``path`` is a readable file."""
    if not path.exists():
        raise UsageError(f"{name} {path}: no such file")
    if not path.is_file():
        raise UsageError(f"{name} {path} is not a file")
    try:
        with path.open("rb") as handle:
            handle.read(1)
    except OSError as err:
        raise UsageError(f"{name} {path} cannot be read ({err.strerror or err})") from None
