"""A video's timed text: its subtitles, else a transcript of its speech (cached beside its index).

Subtitles (a sidecar ``.srt``/``.vtt`` or a subtitle stream, :mod:`vagent.tools.subtitles`) are used
where the video has them, unless the settings ask for a transcript (``source="speech"``); speech is
transcribed by :mod:`vagent.tools.speech`. Nothing here raises for bad audio: the result's ``note`` says why
there is no usable speech, and that result is cached like any other.
"""

from __future__ import annotations

import logging
from collections.abc import Callable
from pathlib import Path
from typing import Any

from vagent.tools.speech import transcribe_video
from vagent.tools.subtitles import find_subtitles, read_sidecar
from vagent.tools.timed_text import SpeechSettings, TimedText, cache_path, load_timed_text, save_timed_text

log = logging.getLogger(__name__)


def read_subtitles(path: str | Path, settings: SpeechSettings) -> TimedText | None:
    """The timed text that needs no transcript: subtitles where the settings allow and the video has
    them (the settings' ``subtitle_file`` first), or the note saying why there is none; ``None`` when
    the speech is to be transcribed."""
    if settings.source == "off":
        return TimedText("none", note="speech is turned off (source=off)")
    if settings.source in ("auto", "subtitles") and settings.subtitle_file:
        given = Path(settings.subtitle_file)
        lines = read_sidecar(given) if given.is_file() else []
        if lines:
            return TimedText(f"subtitles: {given.name}", lines)
        why = f"the task's subtitle file {given} {'holds no cues' if given.is_file() else 'does not exist'}"
        if settings.source == "subtitles":
            return TimedText("subtitles", note=why)
        log.warning("%s; the video's own subtitles or speech are used", why)
    if settings.source in ("auto", "subtitles"):
        found = find_subtitles(Path(path))
        if found is not None or settings.source == "subtitles":
            return found or TimedText("subtitles", note="the video has no subtitles (no .srt/.vtt beside it, no subtitle stream)")
    return None


def load_or_make(path: str | Path, settings: SpeechSettings, index: Any = None,
                 progress: Callable[[float, float], None] | None = None) -> TimedText:
    """The video's timed text: its subtitles, read each time (a sidecar file may appear or change beside
    an unchanged video, and reading one is cheap); else the transcript of its speech, from the cache
    beside its ``VideoIndex`` (same folder, same content hash), else made and cached there (without an
    index it is made and not cached).

    A cache folder that cannot be written is warned about and the text is returned uncached.
    """
    subtitles = read_subtitles(path, settings)
    if subtitles is not None:
        return subtitles
    if index is None:
        return transcribe_video(Path(path), settings, progress)
    where = cache_path(index.settings.resolved_cache_dir(), index.content_hash, settings)
    cached = load_timed_text(where, settings)
    if cached is not None:
        return cached
    text = transcribe_video(Path(path), settings, progress)
    try:
        save_timed_text(text, where, settings)
    except OSError as err:
        log.warning("could not cache the timed text in %s (%s); it is made again next time", where, err)
    return text
