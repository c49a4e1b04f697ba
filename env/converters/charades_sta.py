"""Charades-STA (``VID start end##sentence`` lines) → ``span`` tasks, cut at the video's length when known."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Any

from vagent.env.converters.reading import PathLike, Where, add_task, finish, make_task, read_csv, read_lines, seconds_field, video_path
from vagent.env.converters.records import Conversion, span
from vagent.errors import ConfigError


_CHARADES = re.compile(r"^(\S+)\s+(\S+)\s+(\S+)\s*##(.*)$")


def _charades_durations(path: Path, durations_path: PathLike | None) -> tuple[dict[str, float], Path | None]:
    split = re.sub(r"^charades_sta_", "", path.stem)
    file = Path(durations_path) if durations_path else path.with_name(f"Charades_v1_{split}.csv")
    if not durations_path and not file.is_file():
        return {}, None
    durations = {}
    for number, row in read_csv(file, ("id", "length")):
        try:
            durations[row["id"].strip()] = float(row["length"])
        except ValueError:
            raise ConfigError(f'{file}:{number}: field "length": expected seconds, got {row["length"]!r}') from None
    return durations, file


def convert_charades_sta(
    annotation_path: PathLike,
    video_dir: PathLike,
    out_path: PathLike,
    *,
    video_ext: str = ".mp4",
    durations_path: PathLike | None = None,
    check_videos: bool = False,
    strict: bool = False,
) -> Conversion:
    """Charades-STA (lines ``VID start end##sentence``) → ``span`` tasks (evidence = the span).

    Video lengths come from ``durations_path`` (Charades' ``Charades_v1_<split>.csv``, columns
    ``id`` and ``length``; default: that file beside the annotations, when present): they go to
    ``metadata.duration`` and let the ``past_end`` rule cut spans at the video's end.
    """
    path = Path(annotation_path)
    durations, durations_file = _charades_durations(path, durations_path)
    conv, seen, per_video, unknown = Conversion(path, strict=strict), {}, {}, set()
    for number, line in enumerate(read_lines(path), start=1):
        if not line.strip():
            continue
        with conv.record(Where(path, number)) as rec:
            match = _CHARADES.match(line.strip())
            if not match:
                rec.skip("not VIDEO START END##SENTENCE", f'expected "VIDEO_ID START END##SENTENCE", got {line.strip()[:60]!r}')
            vid, start_text, end_text, sentence = match.groups()
            start, end = seconds_field(rec, start_text, "start"), seconds_field(rec, end_text, "end")
            sentence = sentence.strip().rstrip(".").strip()
            if not sentence:
                rec.skip('missing "sentence"', 'field "sentence": empty query sentence after ##')
            duration = durations.get(vid)
            if durations and duration is None:
                unknown.add(vid)
            bounds = span(rec, start, end, "start/end", duration)
            metadata: dict[str, Any] = {"source": "charades_sta", "query": sentence}
            if duration is not None:
                metadata["duration"] = duration
            per_video[vid] = per_video.get(vid, 0) + 1
            task = make_task(rec, {
                "id": f"charades_sta/{vid}/{per_video[vid]}",
                "video": video_path(rec, video_dir, vid, video_ext, "video_id", check_videos),
                "question": f'When does this happen in the video: "{sentence}"?',
                "answer_type": "span",
                "answer": [bounds],
                "evidence": [bounds],
                "metadata": metadata,
            })
            add_task(conv, rec, task, seen)
    if unknown:
        conv.warn(f"{durations_file}: no length for {len(unknown)} video(s) (first: {', '.join(sorted(unknown)[:3])}); "
                  "their spans are not checked against the video's end")
    return finish(conv, out_path)
