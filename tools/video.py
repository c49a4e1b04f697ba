"""Video decoding with PyAV: true timestamps, upright frames, decode only what is needed.

Every time here follows the convention of :mod:`vagent.types`: seconds from the container's
start, read from each frame's PTS (``frame.time - container.start_time``), never index / fps.
Rotation metadata (the display matrix) is applied, so frames come out upright.

>>> with Video("clip.mp4") as video:                                   # doctest: +SKIP
...     video.info.duration, video.frame_at(12.5).time
...     frames = video.sample(fps=1.0, start=10, end=20, max_side=448)

A ``Video`` holds one open container: use it from one thread at a time (the public methods
that return lists take a lock; the iterators do not) and do not interleave two iterators.
"""

from __future__ import annotations

import bisect
import logging
import math
import threading
from collections.abc import Callable, Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path

import av
import numpy as np
from PIL import Image

from vagent.errors import VideoError
from vagent.types import TimedImage

log = logging.getLogger(__name__)

SEEK_GAP = 4.0
"""Seconds: a sampling target further than this ahead of the decoder triggers a seek."""
NEAR_FRAMES = 3.0
"""Sampling decodes in full only the frames within this many frame intervals (1 / fps) of a target;
the others are decoded only as far as later frames need them (non-reference frames are skipped),
which halves the work of a dense window. The frame nearest a target is always within reach unless
the gap between frames around it exceeds twice this (a variable-rate video holding one picture),
where a nearer reference frame may be chosen."""

_MAGIC = (b"\x1aE\xdf\xa3", b"RIFF", b"OggS", b"FLV", b"\x00\x00\x01\xba", b"\x00\x00\x01\xb3")
_NOT_VIDEO_FORMATS = {"image2", "tty", "bin", "txt"}  # images and text (FFmpeg reads text as ANSI art)
_VIDEO_SUFFIXES = {".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".flv", ".ts", ".mts", ".mpg", ".mpeg", ".ogv", ".3gp", ".wmv"}


@dataclass(frozen=True)
class VideoInfo:
    """What a video is, as a viewer sees it.

    Attributes:
        path: the file.
        duration: seconds from the first frame to the end of the last one (``end - start``).
        start: time of the first frame (0.0 unless the video starts after another stream).
        fps: average frame rate (frames may still be spaced irregularly).
        num_frames: approximate number of frames (from the header, else duration * fps).
        width, height: size of the upright frame (after rotation).
        rotation: degrees counter-clockwise applied to the stored picture (0, 90, 180, -90).
        codec: video codec name (e.g. ``h264``).
        container: container format name as FFmpeg reports it (e.g. ``matroska,webm``).
    """

    path: str
    duration: float
    start: float
    fps: float
    num_frames: int
    width: int
    height: int
    rotation: int
    codec: str
    container: str

    @property
    def end(self) -> float:
        """Time just after the last frame."""
        return self.start + self.duration


def _looks_like_video(path: Path) -> bool:
    with path.open("rb") as handle:
        head = handle.read(16)
    return head[4:8] in (b"ftyp", b"moov", b"mdat", b"free", b"wide") or head.startswith(_MAGIC) \
        or head[:1] == b"\x47" or path.suffix.lower() in _VIDEO_SUFFIXES


def scaled_size(width: int, height: int, max_side: int | None = None, short_side: int | None = None) -> tuple[int, int]:
    """Size after shrinking (never enlarging) so the long side <= max_side / short side <= short_side."""
    scale = 1.0
    if max_side:
        scale = min(scale, max_side / max(width, height))
    if short_side:
        scale = min(scale, short_side / min(width, height))
    return max(1, round(width * scale)), max(1, round(height * scale))


class Video:
    """An open video file (a context manager). Raises ``VideoError`` if it cannot be used."""

    def __init__(self, path: str | Path):
        self.path = Path(path)
        self.warnings: list[str] = []
        self.decode_all = False
        """Decode every frame when sampling, not only those near a target (see ``NEAR_FRAMES``; for checks)."""
        self._lock = threading.RLock()
        if not self.path.exists():
            raise VideoError(f"video file not found: {self.path}", kind="missing", path=str(self.path))
        if not self.path.is_file():
            raise VideoError(f"not a file: {self.path}", kind="not_video", path=str(self.path))
        try:
            self._container = av.open(str(self.path), metadata_errors="ignore")
        except (av.FFmpegError, UnicodeDecodeError, ValueError) as err:
            if self.path.stat().st_size > 0 and _looks_like_video(self.path):
                raise VideoError(f"video file is damaged and cannot be opened ({err}): {self.path}",
                                 kind="corrupt", path=str(self.path)) from err
            raise VideoError(f"not a video file ({err}): {self.path}", kind="not_video", path=str(self.path)) from err
        try:
            self._setup()
        except BaseException:
            self._container.close()
            raise

    def _setup(self) -> None:
        container = self._container
        fmt = container.format.name
        stills = fmt in _NOT_VIDEO_FORMATS or fmt.endswith("_pipe")
        if stills or not container.streams.video or container.streams.video[0].codec_context.name in ("ansi",):
            if container.streams.video:
                raise VideoError(f"not a video file ({fmt}: a still image or text): {self.path}",
                                 kind="not_video", path=str(self.path))
            kinds = ", ".join(s.type for s in container.streams) or "none"
            raise VideoError(f"no video stream in {self.path} (streams: {kinds})", kind="no_video_stream",
                             path=str(self.path))
        self._stream = stream = container.streams.video[0]
        stream.thread_type = "AUTO"
        self._offset = container.start_time / 1e6 if container.start_time is not None else 0.0
        self._data_end: float | None = None
        head = [item for item, _ in zip(self._decode(), range(8))]
        if not head:
            raise VideoError(f"no frame of {self.path} could be decoded: the file is damaged",
                             kind="corrupt", path=str(self.path))
        start, frame = head[0]
        rotation = int(round(frame.rotation / 90.0)) * 90 if frame.rotation else 0
        self._k = (rotation // 90) % 4
        fps = float(stream.average_rate or 0)
        if not 0 < fps <= 240:  # no usable header rate: the median gap of the first frames
            gaps = [b[0] - a[0] for a, b in zip(head, head[1:]) if b[0] > a[0]]
            fps = 1.0 / float(np.median(gaps)) if gaps else float(stream.guessed_rate or 25)
        end = self._scan_end(start, fps)
        width, height = (frame.height, frame.width) if self._k % 2 else (frame.width, frame.height)
        duration = max(end - start, 1.0 / fps)
        self.info = VideoInfo(
            path=str(self.path), duration=duration, start=start, fps=fps,
            num_frames=int(stream.frames or round(duration * fps)), width=width, height=height,
            rotation=rotation, codec=stream.codec_context.name, container=container.format.name,
        )

    def _scan_end(self, start: float, fps: float) -> float:
        """End of the last frame: demux (not decode) the packets after the last keyframe."""
        stream, tb = self._stream, self._stream.time_base
        end = start + 1.0 / fps
        try:
            self._container.seek(2**62, stream=stream, backward=True)
            for packet in self._container.demux(stream):
                if packet.pts is not None:
                    end = max(end, float((packet.pts + (packet.duration or 0)) * tb) - self._offset)
        except av.FFmpegError:
            pass
        header = None
        if stream.duration is not None and stream.start_time is not None:
            header = float((stream.start_time + stream.duration) * tb) - self._offset
        elif self._container.duration is not None:
            header = self._container.duration / 1e6
        if end <= start + 1.0 / fps and header is not None:
            end = max(end, header)
        return end

    # ------------------------------------------------------------------ lifecycle
    def close(self) -> None:
        self._container.close()

    def __enter__(self) -> Video:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()

    def __repr__(self) -> str:
        i = getattr(self, "info", None)
        return f"Video({str(self.path)!r}, {i.duration:.2f}s, {i.width}x{i.height})" if i else f"Video({str(self.path)!r})"

    # ------------------------------------------------------------------ low level
    def _warn(self, message: str) -> None:
        if message not in self.warnings:
            self.warnings.append(message)
            log.warning("%s: %s", self.path.name, message)

    def _decode(self, from_time: float | None = None,
                wanted: Callable[[float], bool] | None = None) -> Iterator[tuple[float, av.VideoFrame]]:
        """(time, frame) in presentation order, from the keyframe at or before ``from_time``.

        With ``wanted``, a packet whose presentation time it refuses is decoded with non-reference
        frames skipped (such frames are not yielded; reference frames still are)."""
        context = self._stream.codec_context
        context.skip_frame = "DEFAULT"
        try:
            yield from self._decode_packets(from_time, wanted)
        finally:  # also when the caller stops early: the next decode starts from a clean decoder
            context.skip_frame = "DEFAULT"

    def _decode_packets(self, from_time: float | None, wanted: Callable[[float], bool] | None
                        ) -> Iterator[tuple[float, av.VideoFrame]]:
        stream = self._stream
        context, tb, skipping = stream.codec_context, stream.time_base, False
        if from_time is None:
            self._container.seek(0)
        else:
            target = int(math.floor((from_time + self._offset) / stream.time_base))
            self._container.seek(max(target, 0), stream=stream, backward=True)
        last = None
        packets = self._container.demux(stream)
        while True:
            try:
                packet = next(packets)
            except StopIteration:
                break
            except av.FFmpegError as err:
                where = f"t={last:.2f}s" if last is not None else "the start"
                self._warn(f"video data unreadable after {where} ({err}); frames after it were skipped")
                break
            if wanted is not None and packet.pts is not None:
                skip = not wanted(float(packet.pts * tb) - self._offset)
                if skip != skipping:
                    context.skip_frame, skipping = ("NONREF" if skip else "DEFAULT"), skip
            try:
                frames = packet.decode()
            except av.FFmpegError as err:
                self._warn(f"a damaged packet was skipped ({err})")
                continue
            for frame in frames:
                if frame.pts is None:
                    continue
                last = float(frame.time) - self._offset
                yield last, frame
        info = getattr(self, "info", None)
        if last is not None:
            self._data_end = max(self._data_end or last, last)
        if info is not None and last is not None and last < info.end - max(1.0, 3.0 / info.fps):
            self._warn(f"decoding ended at t={last:.2f}s but the file says the video lasts until "
                       f"{info.end:.2f}s (truncated file?)")

    def to_array(self, frame: av.VideoFrame, max_side: int | None = None, short_side: int | None = None,
                 format: str = "rgb24") -> np.ndarray:
        """The frame as an upright ``H x W x 3`` array, shrunk during conversion (FAST_BILINEAR)."""
        width, height = scaled_size(frame.width, frame.height, max_side, short_side)
        # threads=1: swscale's default (auto) thread pool costs ~1 ms per call, 5x the work itself
        resize = (width, height) != (frame.width, frame.height)
        array = frame.reformat(width=width, height=height, format=format, threads=1,
                               interpolation="FAST_BILINEAR" if resize else None).to_ndarray()
        return np.ascontiguousarray(np.rot90(array, self._k)) if self._k else array

    def iter_frames(self, start: float | None = None, end: float | None = None) -> Iterator[tuple[float, av.VideoFrame]]:
        """Every decoded frame with ``start <= time <= end`` as ``(time, av.VideoFrame)``.

        The fused-pass primitive: convert each frame yourself with ``to_array`` (at one or
        several sizes). Seeks to the keyframe before ``start``.
        """
        for time, frame in self._decode(None if start is None or start <= self.info.start else start):
            if start is not None and time < start:
                continue
            if end is not None and time > end:
                return
            yield time, frame

    def iter_arrays(self, start: float | None = None, end: float | None = None, max_side: int | None = None,
                    format: str = "rgb24") -> Iterator[tuple[float, np.ndarray]]:
        """Like ``iter_frames`` but yields ``(time, upright ndarray)``."""
        for time, frame in self.iter_frames(start, end):
            yield time, self.to_array(frame, max_side=max_side, format=format)

    # ------------------------------------------------------------------ sampling
    def nearest_frames(self, times: Sequence[float], max_side: int | None = None) -> list[TimedImage]:
        """The frame nearest to each time (sorted, one image per distinct frame).

        Decodes forward between close targets and seeks (to the keyframe before) when the
        next target is more than ``SEEK_GAP`` seconds ahead, so a few frames of a long video
        cost a few GOPs, not the whole file.
        """
        out: dict[float, TimedImage] = {}
        with self._lock:
            for time, frame in self._nearest(sorted(float(t) for t in times)):
                if time not in out:
                    image = Image.fromarray(self.to_array(frame, max_side=max_side))
                    out[time] = TimedImage(time=round(time, 6), image=image)
        return [out[t] for t in sorted(out)]

    def _nearest(self, targets: list[float]) -> Iterator[tuple[float, av.VideoFrame]]:
        gen: Iterator[tuple[float, av.VideoFrame]] | None = None
        prev = cur = None
        near = NEAR_FRAMES / self.info.fps

        def wanted(time: float) -> bool:  # targets are sorted: is one within ``near`` of ``time``?
            at = bisect.bisect_left(targets, time - near)
            return self.decode_all or (at < len(targets) and targets[at] <= time + near)

        for target in targets:
            if gen is None or (cur is not None and target - cur[0] > SEEK_GAP):
                gen, prev = self._decode(target if target > self.info.start + SEEK_GAP else None, wanted), None
                cur = next(gen, None)
                if cur is None or (cur[0] > target + 0.5 / self.info.fps and target > self.info.start):
                    # the seek overshot (bad index) or landed past the data (truncated file):
                    # start again before the end of the data, if known, else from the start
                    known = self._data_end is not None and self._data_end < target
                    gen = self._decode(self._data_end - SEEK_GAP if known else None, wanted)
                    cur = next(gen, None)
            while cur is not None and cur[0] < target:
                prev, cur = cur, next(gen, None)
            choices = [c for c in (prev, cur) if c is not None]
            if choices:
                yield min(choices, key=lambda c: (abs(c[0] - target), c[0]))

    def frame_at(self, time: float, max_side: int | None = None) -> TimedImage:
        """The frame nearest to ``time`` (decodes from the keyframe before it)."""
        frames = self.nearest_frames([time], max_side=max_side)
        if not frames:
            raise VideoError(f"no decodable frame near t={time:.2f}s in {self.path}", kind="corrupt",
                             path=str(self.path))
        return frames[0]

    def sample(self, fps: float | None = None, count: int | None = None, start: float | None = None,
               end: float | None = None, max_side: int | None = None) -> list[TimedImage]:
        """Frames at a rate or a count within ``[start, end]`` (default: the whole video).

        ``fps``: targets at ``start, start + 1/fps, ...`` up to ``end``. ``count``: targets at
        the centres of ``count`` equal parts of the window. Each target takes its nearest
        frame; a frame chosen twice is returned once (so a short window gives fewer frames).
        """
        if (fps is None) == (count is None):
            raise ValueError("give exactly one of fps= or count=")
        lo = self.info.start if start is None else max(float(start), self.info.start)
        hi = self.info.end if end is None else min(float(end), self.info.end)
        if not hi >= lo:
            raise ValueError(f"empty window: start={lo:.3f}s end={hi:.3f}s (video spans "
                             f"{self.info.start:.2f}s-{self.info.end:.2f}s)")
        if fps is not None:
            if not fps > 0:
                raise ValueError(f"fps must be > 0, got {fps}")
            n = int(math.floor((hi - lo) * fps + 1e-9)) + 1
            targets = [lo + i / fps for i in range(n) if lo + i / fps < hi or i == 0]
        else:
            if count is None or count < 1:
                raise ValueError(f"count must be >= 1, got {count}")
            targets = [lo + (i + 0.5) * (hi - lo) / count for i in range(count)]
        return self.nearest_frames(targets, max_side=max_side)
