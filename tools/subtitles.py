"""Subtitles as timed text: a sidecar ``.srt``/``.vtt`` next to the video, or a text subtitle stream inside it.

Sidecar files are looked for as ``<video stem>.srt``, ``<video stem>.vtt`` and ``<video stem>.<lang>.srt``
(``.vtt``), English first. Their times are read as times on the video's clock (what a player shows);
a stream's cue times are its packets' timestamps less the container's start, like every frame time.
Markup (``<i>``, ``{\\i1}``, VTT cue settings) is removed; a file that cannot be read is skipped with
a warning, never raised.
"""

from __future__ import annotations

import glob
import logging
import re
from pathlib import Path

import av

from vagent.tools.timed_text import Line, TimedText

log = logging.getLogger(__name__)

_TIME = r"(?:(\d+):)?(\d{1,2}):(\d{2})[,.](\d{1,3})"
_CUE = re.compile(_TIME + r"\s*-->\s*" + _TIME)
_MARKUP = re.compile(r"<[^>]*>|\{\\[^}]*\}")
MAX_SIDECAR_BYTES = 20_000_000


def _seconds(hours: str | None, minutes: str, seconds: str, millis: str) -> float:
    return int(hours or 0) * 3600 + int(minutes) * 60 + int(seconds) + int(millis.ljust(3, "0")) / 1000


def _clean(text: str) -> str:
    return " ".join(_MARKUP.sub("", text.replace("\\N", " ")).split())


def parse_cues(text: str) -> list[Line]:
    """SRT or WebVTT text as lines in time order (cues without text or with end before start are skipped)."""
    lines = []
    for block in re.split(r"\n\s*\n", text.replace("\r\n", "\n").replace("\r", "\n").lstrip("\ufeff")):
        rows = block.strip().split("\n")
        for i, row in enumerate(rows):
            match = _CUE.search(row)
            if match is None:
                continue
            start, end = _seconds(*match.groups()[:4]), _seconds(*match.groups()[4:])
            said = _clean(" ".join(rows[i + 1 :]))
            if said and end >= start:
                lines.append(Line(round(start, 3), round(end, 3), said))
            break
    return sorted(lines, key=lambda line: line.start)


def sidecar_files(video: Path) -> list[Path]:
    """Subtitle files beside ``video`` that belong to it, preferred first."""
    found = []
    for suffix in (".srt", ".vtt"):
        found += [video.with_suffix(suffix)]
        found += sorted(video.parent.glob(f"{glob.escape(video.stem)}.en*{suffix}"))
        found += sorted(video.parent.glob(f"{glob.escape(video.stem)}.*{suffix}"))
    seen: list[Path] = []
    for path in found:
        if path.is_file() and path not in seen:
            seen.append(path)
    return seen


def read_sidecar(path: Path) -> list[Line]:
    """The cues of one sidecar file ([] when it is too large, unreadable or holds none; warned)."""
    try:
        if path.stat().st_size > MAX_SIDECAR_BYTES:
            raise ValueError(f"larger than {MAX_SIDECAR_BYTES} bytes")
        return parse_cues(path.read_text(encoding="utf-8", errors="replace"))
    except (OSError, ValueError) as err:
        log.warning("subtitle file %s cannot be read (%s); skipped", path, err)
        return []


def read_stream_subtitles(video: Path) -> tuple[list[Line], str] | None:
    """The cues of the video's first text subtitle stream and its name, or None when it has none."""
    try:
        with av.open(str(video), metadata_errors="ignore") as container:
            streams = [s for s in container.streams.subtitles if s.codec_context.name in
                       ("subrip", "srt", "mov_text", "webvtt", "ass", "ssa", "text")]
            if not streams:
                return None
            stream = streams[0]
            offset = container.start_time / 1e6 if container.start_time is not None else 0.0
            lines = []
            for packet in container.demux(stream):
                if packet.pts is None or not packet.size:
                    continue
                start = float(packet.pts * packet.time_base) - offset
                end = start + float((packet.duration or 0) * packet.time_base)
                said = _clean(" ".join(sub.dialogue.decode("utf-8", "replace") for sub in packet.decode()))
                if said:
                    lines.append(Line(round(start, 3), round(max(start, end), 3), said))
            language = f" ({stream.language})" if stream.language else ""
            return sorted(lines, key=lambda line: line.start), f"subtitle stream {stream.index}{language}"
    except (av.FFmpegError, ValueError, UnicodeDecodeError) as err:
        log.warning("subtitle stream of %s cannot be read (%s); skipped", video, err)
        return None


def find_subtitles(video: Path) -> TimedText | None:
    """The video's subtitles as timed text (a sidecar file first, then a stream), or None when it has none."""
    for path in sidecar_files(video):
        lines = read_sidecar(path)
        if lines:
            return TimedText(f"subtitles: {path.name}", lines)
    stream = read_stream_subtitles(video)
    if stream is not None and stream[0]:
        return TimedText(f"subtitles: {stream[1]}", stream[0])
    return None
