"""The tools a video model can call, in ONE registry: ``VideoTools``.

Each public tool method is a typed function with a Google-style docstring; its JSON schema
(OpenAI function-calling form) comes from ``transformers.utils.get_json_schema``, as TRL derives
it, so the environment, TRL and the chat templates all see the same schemas.

Every tool returns an ``Observation`` and never raises: unknown tools, bad arguments and
unexpected failures become error observations saying what is allowed. Text formats are stable
(a scripted policy parses them)::

    search_clips   1. 12.00s-15.00s score=0.312 (best t=13.00s)
    detect_scenes  scene 1: 0.00s-4.50s
    zoom_frame     zoom t=12.50s box=[0.10, 0.20, 0.50, 0.60] size=448x336
    crop_clip      crop 12.00s-15.00s: 8 frames
    read_text      "HELLO" (score 0.98)
"""

from __future__ import annotations

import json
import logging
import math
import os
import reprlib
import threading
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from PIL import Image

from vagent.answers import format_box
from vagent.tools.index import VideoIndex
from vagent.tools.timed_text import SpeechSettings, TimedText, heard, said_matches
from vagent.tools.transcript import load_or_make
from vagent.tools.video import Video
from vagent.types import Observation, TimedImage

log = logging.getLogger(__name__)

TOOL_NAMES = ("crop_clip", "detect_scenes", "listen", "read_text", "search_clips", "zoom_frame")
"""In name order, the order TRL's ``environment_factory`` lists an environment's tool methods in: the
tool list rendered into the prompt must be the same at inference, in SFT data and in GRPO rollouts."""


@dataclass(frozen=True)
class ToolLimits:
    """Bounds on what one tool call may ask for and return.

    Attributes:
        max_frames: most images in one observation (crop_clip's num_frames limit).
        max_top_k: largest top_k for search_clips.
        zoom_size: long side in pixels of a zoom_frame image (crops are resized to it).
        frame_side: long side in pixels of crop_clip frames.
        min_box_side: smallest box width/height (normalised) for zoom_frame and read_text.
        max_query_chars: longest search_clips query.
        thumbnails: attach index thumbnails to search_clips and detect_scenes results.
        max_listen_seconds: longest window one listen call may hear.
    """

    max_frames: int = 16
    max_top_k: int = 20
    zoom_size: int = 448
    frame_side: int = 384
    min_box_side: float = 0.02
    max_query_chars: int = 300
    thumbnails: bool = True
    max_listen_seconds: float = 120.0


MAX_MAGNITUDE = 1e12
"""Largest absolute value of a numeric tool argument (no time, count or coordinate comes near it)."""
_REPR = reprlib.Repr()
_REPR.maxlevel, _REPR.maxstring, _REPR.maxother, _REPR.maxlist, _REPR.maxdict = 2, 40, 40, 4, 4


def _show(value: Any) -> str:
    """A short repr of a model-written value: bounded in length and depth, huge integers abridged."""
    if isinstance(value, int) and not isinstance(value, bool) and abs(value) > MAX_MAGNITUDE:
        digits = len(str(abs(value))) if value.bit_length() < 13_000 else "thousands of"
        return f"an integer with {digits} digits"
    try:
        return _REPR.repr(value)
    except ValueError:  # an integer inside a list with more digits than repr() converts
        return f"a {type(value).__name__} too large to show"


def _describe(value: Any) -> str:
    """Type and short repr of a model-written value."""
    shown = _show(value)
    return shown if shown.startswith(("an integer with", "a ")) else f"{type(value).__name__} {shown}"


def _short(text: str, limit: int = 60) -> str:
    return text if len(text) <= limit else f"{text[:limit]}… ({len(text)} characters)"


class _BadArgs(ValueError):
    """Arguments a model can correct; the message says what is allowed."""


class VideoTools:
    """The tools over one video (and its index), each returning an ``Observation``.

    Args:
        video: an open ``Video`` or a path (opened here, closed by ``close``).
        index: the video's ``VideoIndex``; without it search_clips and detect_scenes
            return an error observation.
        limits: bounds on arguments and outputs.
    """

    names: tuple[str, ...] = TOOL_NAMES
    _schemas: list[dict[str, Any]] | None = None

    @classmethod
    def open(cls, path: str | Path, settings: Any = None, progress: Any = None, limits: ToolLimits | None = None,
             speech: SpeechSettings | None = None) -> "VideoTools":
        """Open ``path`` and its index (cached, or built with ``progress(done_s, total_s)``); speech: ``speech``, else ``settings.speech``."""
        from vagent.tools.index import load_or_build

        video = Video(path)
        try:
            index = load_or_build(path, settings, progress=progress)
        except BaseException:
            video.close()
            raise
        tools = cls(video, index, limits)
        tools._owns_video, tools.speech = True, speech or getattr(settings, "speech", None) or tools.speech
        return tools

    def __init__(self, video: Video | str | Path, index: VideoIndex | None = None, limits: ToolLimits | None = None):
        self._owns_video = not isinstance(video, Video)
        self.video = Video(video) if self._owns_video else video
        self.index = index
        self.limits = limits or ToolLimits()
        self._lock = threading.RLock()  # one decoder per video: calls from several threads take turns
        self.speech, self._timed_text = SpeechSettings.from_env(), None  # what listen hears: made on first use
        self._ocr_cache = None  # read_text's cache beside the index: made on first use

    def close(self) -> None:
        if self._owns_video:
            self.video.close()

    def __enter__(self) -> "VideoTools":
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    # ------------------------------------------------------------------ registry
    @classmethod
    def schemas(cls) -> list[dict[str, Any]]:
        """JSON schemas of the tools, in ``TOOL_NAMES`` order (OpenAI function-calling form)."""
        if cls._schemas is None:
            from transformers.utils import get_json_schema

            probe = object.__new__(cls)
            cls._schemas = [get_json_schema(getattr(probe, name)) for name in TOOL_NAMES]
        return cls._schemas

    def call(self, name: Any, arguments: Any = None) -> Observation:
        """Run tool ``name`` with ``arguments`` (a dict, or its JSON text). Never raises.

        Safe to call from several threads (trajectories sampled in parallel share one registry).
        """
        label = _short(name) if isinstance(name, str) else _show(name)
        try:
            with self._lock:
                return self._call(name, arguments)
        except _BadArgs as err:
            return Observation.failure(f"{label}: {err}", tool=label)
        except RecursionError:
            return Observation.failure(f"{label}: arguments are nested too deeply", tool=label)
        except Exception as err:  # a tool bug must not end an episode
            log.exception("tool %s failed", label)
            return Observation.failure(f"{label} failed: {type(err).__name__}: {_short(str(err), 200)}", tool=label)

    def overview(self, count: int) -> list[TimedImage]:
        """``count`` frames evenly spaced across the video (shown with the question)."""
        if count <= 0:
            return []
        with self._lock:
            return self.video.sample(count=count, max_side=self.limits.frame_side)

    def _call(self, name: Any, arguments: Any) -> Observation:
        if not isinstance(name, str) or name not in TOOL_NAMES:
            shown = repr(_short(name)) if isinstance(name, str) else _show(name)
            return Observation.failure(f"unknown tool {shown}. Valid tools: {', '.join(TOOL_NAMES)}", tool=shown)
        if arguments is None:
            arguments = {}
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments) if arguments.strip() else {}
            except json.JSONDecodeError as err:
                raise _BadArgs(f"arguments are not valid JSON ({err})") from None
            except RecursionError:
                raise _BadArgs("arguments are nested too deeply") from None
            except ValueError:  # an integer with more digits than Python converts
                raise _BadArgs("arguments hold an integer with thousands of digits (write numbers of ordinary size)") from None
        if not isinstance(arguments, dict):
            raise _BadArgs(f"arguments must be an object, got {type(arguments).__name__}")
        params = self.schemas()[TOOL_NAMES.index(name)]["function"]["parameters"]
        props, required = params["properties"], params.get("required", [])
        usage = f"{name}({', '.join(props)})"
        extra = [k for k in arguments if k not in props]
        missing = [k for k in required if k not in arguments]
        if extra:
            raise _BadArgs(f"unexpected argument(s) {_short(', '.join(map(str, extra)), 120)}; usage: {usage}")
        if missing:
            raise _BadArgs(f"missing argument(s) {', '.join(missing)}; usage: {usage}")
        clean = {key: self._check_type(key, value, props[key]) for key, value in arguments.items()}
        return getattr(self, "_" + name)(**clean)

    @staticmethod
    def _check_type(key: str, value: Any, spec: dict[str, Any]) -> Any:
        if value is None and spec.get("nullable"):
            return None
        kind = spec.get("type")
        if kind == "string" and isinstance(value, str):
            return value
        if kind in ("integer", "number") and isinstance(value, (int, float)) and not isinstance(value, bool):
            if isinstance(value, float) and not math.isfinite(value):
                raise _BadArgs(f"{key} must be a finite number, got {value}")
            if abs(value) > MAX_MAGNITUDE:  # also keeps ints that no float can hold out of float()
                raise _BadArgs(f"{key} is too large: numbers must lie within ±{MAX_MAGNITUDE:.0e}, got {_show(value)}")
            if kind == "number":
                return float(value)
            if isinstance(value, int) or value.is_integer():
                return int(value)
        if kind == "array" and isinstance(value, (list, tuple)):
            item = spec.get("items", {})
            return [VideoTools._check_type(f"{key}[{i}]", v, item) for i, v in enumerate(value)]
        wanted = {"number": "a number", "integer": "an integer", "string": "a string",
                  "array": "a list of numbers"}.get(kind, kind)
        raise _BadArgs(f"{key} must be {wanted}, got {_describe(value)}")

    # ------------------------------------------------------------------ checks
    def _check_time(self, key: str, t: float) -> float:
        end = self.video.info.end
        if not -1e-6 <= t <= end + 1e-6:
            raise _BadArgs(f"{key}={t:.2f}s is outside the video (0.00s-{end:.2f}s)")
        return min(max(t, 0.0), end)

    def _check_window(self, start: float, end: float) -> tuple[float, float]:
        start, end = self._check_time("start", start), self._check_time("end", end)
        if not end > start:
            raise _BadArgs(f"empty window: end ({end:.2f}s) must be greater than start ({start:.2f}s)")
        return start, end

    def _check_box(self, box: list[float]) -> list[float]:
        if len(box) != 4:
            raise _BadArgs(f"box must be 4 numbers [x1, y1, x2, y2] in 0..1, got {len(box)} numbers")
        x1, y1, x2, y2 = box
        if not all(-1e-6 <= v <= 1 + 1e-6 for v in box):
            raise _BadArgs(f"box {format_box(box, 2)} must lie within 0..1 (fractions of width and height)")
        m = self.limits.min_box_side
        if x2 - x1 < m or y2 - y1 < m:
            raise _BadArgs(f"box {format_box(box, 2)} is empty or inverted: need x2 - x1 >= {m} and y2 - y1 >= {m}")
        return [min(max(v, 0.0), 1.0) for v in box]

    def _frame_crop(self, time: float, box: list[float] | None) -> tuple[TimedImage, Image.Image, tuple[int, ...] | None]:
        """The frame at ``time``, its crop to ``box`` and that box in pixels (None: the whole frame)."""
        frame = self.video.frame_at(time)
        if box is None:
            return frame, frame.image, None
        w, h = frame.image.size
        pixels = (int(box[0] * w), int(box[1] * h), max(int(box[0] * w) + 1, round(box[2] * w)),
                  max(int(box[1] * h) + 1, round(box[3] * h)))
        return frame, frame.image.crop(pixels), pixels

    def _read_lines(self, frame: TimedImage, crop: Image.Image, pixels: tuple[int, ...] | None) -> list:
        """OCR of ``crop``, from the cache beside the index when this frame and box were read before."""
        from vagent.tools.ocr import read_text
        from vagent.tools.ocr_cache import OcrCache, cache_file

        if self.index is None or os.environ.get("VAGENT_OCR_CACHE", "1") == "0":
            return read_text(crop)
        if self._ocr_cache is None:
            self._ocr_cache = OcrCache(cache_file(self.index.settings.resolved_cache_dir(), self.index.content_hash))
        key = OcrCache.key(frame.time, pixels)
        lines = self._ocr_cache.get(key)
        if lines is None:
            lines = read_text(crop)
            self._ocr_cache.put(key, lines)
        return lines

    def timed_text(self, progress: Any = None) -> TimedText:
        """What the video says (subtitles or a transcript): made on first use, cached beside the index."""
        with self._lock:
            if self._timed_text is None:
                self._timed_text = load_or_make(self.video.path, self.speech, self.index, progress)
            return self._timed_text

    def _require_index(self) -> VideoIndex:
        if self.index is None:
            raise _BadArgs("this video has no index (build one with vagent.tools.index.load_or_build)")
        return self.index

    # ------------------------------------------------------------------ tools (public = schema)
    def search_clips(self, query: str, top_k: int = 5) -> Observation:
        """Find the moments of the video that best match a text description.

        Args:
            query: What to look for, described in words (e.g. "a man opens a red door").
            top_k: How many matching spans to return, best first.
        """
        return self.call("search_clips", {"query": query, "top_k": top_k})

    def detect_scenes(self) -> Observation:
        """List the scenes (shots) of the video with their start and end times."""
        return self.call("detect_scenes", {})

    def zoom_frame(self, time: float, box: list[float]) -> Observation:
        """Look closely at a region of the frame at a given time.

        Args:
            time: Time in seconds of the frame to look at.
            box: Region as fractions of the frame [x1, y1, x2, y2], each between 0 and 1, with x1 < x2 and y1 < y2.
        """
        return self.call("zoom_frame", {"time": time, "box": box})

    def crop_clip(self, start: float, end: float, num_frames: int = 8) -> Observation:
        """Get frames evenly spread over a time window of the video.

        Args:
            start: Start of the window in seconds.
            end: End of the window in seconds (greater than start).
            num_frames: How many frames to return.
        """
        return self.call("crop_clip", {"start": start, "end": end, "num_frames": num_frames})

    def read_text(self, time: float, box: list[float] | None = None) -> Observation:
        """Read the text visible in the frame at a given time (OCR).

        Args:
            time: Time in seconds of the frame to read.
            box: Optional region as fractions of the frame [x1, y1, x2, y2]; the whole frame if omitted.
        """
        return self.call("read_text", {"time": time, "box": box})

    def listen(self, start: float, end: float) -> Observation:
        """Hear what is said in a time window: the words spoken (or subtitled) with their times.

        Args:
            start: Start of the window in seconds.
            end: End of the window in seconds (greater than start).
        """
        return self.call("listen", {"start": start, "end": end})

    # ------------------------------------------------------------------ implementations
    def _search_clips(self, query: str, top_k: int = 5) -> Observation:
        index = self._require_index()
        query = " ".join(query.split())
        if not query:
            raise _BadArgs("query is empty: describe what to look for")
        if len(query) > self.limits.max_query_chars:
            raise _BadArgs(f"query is {len(query)} characters; the limit is {self.limits.max_query_chars}")
        if not 1 <= top_k <= self.limits.max_top_k:
            raise _BadArgs(f"top_k must be between 1 and {self.limits.max_top_k}, got {top_k}")
        said, said_data = said_matches(self.timed_text(), query, top_k)
        if index.visual_search_error and not said:
            return Observation.failure(index.visual_search_error, tool="search_clips")
        hits = [] if index.visual_search_error else index.search(query, top_k)
        lines = [index.visual_search_error] if index.visual_search_error else [f'search "{query}": {len(hits)} match(es)']
        lines += [f"{i}. {h.start:.2f}s-{h.end:.2f}s score={h.score:.3f} (best t={h.best_time:.2f}s)"
                  for i, h in enumerate(hits, 1)]
        if index.random_clip:
            lines.append("note: the index uses random CLIP weights, scores are meaningless")
        images = []
        if self.limits.thumbnails:
            for i, hit in enumerate(hits[: self.limits.max_frames], 1):
                thumb = index.thumbnail_near(hit.best_time)
                thumb.note = f"match {i}"
                images.append(thumb)
        data = {"hits": [[float(h.start), float(h.end), float(h.score), float(h.best_time)] for h in hits], **said_data}
        return Observation("\n".join(lines + said), images=images, data=data)

    def _detect_scenes(self) -> Observation:
        index = self._require_index()
        lines = [f"{len(index.scenes)} scene(s):"]
        lines += [f"scene {i}: {a:.2f}s-{b:.2f}s" for i, (a, b) in enumerate(index.scenes, 1)]
        images = []
        if self.limits.thumbnails and len(index.times):
            for i, (a, b) in enumerate(index.scenes, 1):
                inside = [j for j, t in enumerate(index.times) if a <= t < b or (t == b == index.info.end)]
                if inside and len(images) < self.limits.max_frames:
                    thumb = index.thumbnail(inside[len(inside) // 2])
                    thumb.note = f"scene {i}"
                    images.append(thumb)
        return Observation("\n".join(lines), images=images, data={"scenes": [[float(a), float(b)] for a, b in index.scenes]})

    def _zoom_frame(self, time: float, box: list[float]) -> Observation:
        time, box = self._check_time("time", time), self._check_box(box)
        frame, crop, _ = self._frame_crop(time, box)
        scale = self.limits.zoom_size / max(crop.size)
        size = (max(1, round(crop.width * scale)), max(1, round(crop.height * scale)))
        zoomed = crop.resize(size, Image.LANCZOS)
        text = f"zoom t={frame.time:.2f}s box={format_box(box, 2)} size={size[0]}x{size[1]}"
        return Observation(text, images=[TimedImage(frame.time, zoomed, note=f"zoom {format_box(box, 2)}")],
                           data={"time": float(frame.time), "box": box})

    def _crop_clip(self, start: float, end: float, num_frames: int = 8) -> Observation:
        start, end = self._check_window(start, end)
        if not 1 <= num_frames <= self.limits.max_frames:
            raise _BadArgs(f"num_frames must be between 1 and {self.limits.max_frames}, got {num_frames}")
        frames = self.video.sample(count=num_frames, start=start, end=end, max_side=self.limits.frame_side)
        text = f"crop {start:.2f}s-{end:.2f}s: {len(frames)} frames"
        return Observation(text, images=frames, data={"times": [float(f.time) for f in frames]})

    def _listen(self, start: float, end: float) -> Observation:
        return heard(self.timed_text(), *self._check_window(start, end), self.limits.max_listen_seconds)

    def _read_text(self, time: float, box: list[float] | None = None) -> Observation:
        from vagent.tools.ocr import line_box, text_colour

        time = self._check_time("time", time)
        box = None if box is None else self._check_box(box)
        frame, crop, pixels = self._frame_crop(time, box)
        lines = self._read_lines(frame, crop, pixels)
        where = f"t={frame.time:.2f}s" + (f" box={format_box(box, 2)}" if box else "")
        if not lines:
            return Observation(f"read_text {where}: no text found", data={"time": float(frame.time), "lines": []})
        body = [f"{json.dumps(text, ensure_ascii=False)} (score {score:.2f})" for text, score, _ in lines]
        return Observation(f"read_text {where}: {len(lines)} line(s)\n" + "\n".join(body),
                           data={"time": float(frame.time), "lines": [[str(t), float(s)] for t, s, _ in lines],
                                 "colours": [text_colour(crop, b) for _, _, b in lines],
                                 "boxes": [line_box(crop, b) for _, _, b in lines]})
