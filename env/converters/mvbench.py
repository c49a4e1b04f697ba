"""MVBench (a JSON list per task) → ``choice`` tasks, with the clip and the action's moment when given."""

from __future__ import annotations

import json
from pathlib import Path
from typing import Any

from vagent.answers import LETTERS
from vagent.env.converters.reading import (
    PathLike,
    Where,
    add_task,
    extra_fields,
    finish,
    json_value,
    make_task,
    read_json,
    require_object,
    seconds_field,
    text_field,
    video_path,
)
from vagent.env.converters.records import Conversion, dedupe_options, span
from vagent.errors import ConfigError

VIDEO_SUFFIXES = {".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".flv", ".ts", ".mts", ".mpg", ".mpeg", ".ogv", ".3gp", ".wmv", ".gif"}
"""Names with another suffix (or none) are folders of frames, which ``tools.video`` does not read."""


_MVBENCH_USED = {"video", "question", "candidates", "answer", "start", "end", "accurate_start", "accurate_end"}


def _is_frame_folder(video_dir: PathLike, name: str) -> bool:
    return Path(name).suffix.lower() not in VIDEO_SUFFIXES or (Path(video_dir) / name).is_dir()


def convert_mvbench(
    annotation_path: PathLike,
    video_dir: PathLike,
    out_path: PathLike,
    *,
    task_name: str | None = None,
    check_videos: bool = False,
    strict: bool = False,
) -> Conversion:
    """MVBench (a JSON list of ``{video, question, candidates, answer}``; the answer is the text
    of one candidate) → ``choice`` tasks.

    ``task_name`` (default: the file's stem, e.g. ``action_sequence``) prefixes the ids and is
    ``metadata.task``. ``start``/``end`` (the clip the question is about) → ``metadata.clip``;
    ``accurate_start``/``accurate_end`` (the moment of the action, in the localisation tasks) →
    ``evidence`` and ``metadata.moment``; other fields (``subtitle``, ``fps``, ...) → metadata.
    A ``video`` that names a folder of frames (episodic_reasoning) is skipped: ``tools.video``
    reads video files only.
    """
    path = Path(annotation_path)
    name = task_name or path.stem
    data = read_json(path)
    if not isinstance(data, list):
        raise ConfigError(f"{path}: expected a JSON list of question objects")
    conv, seen = Conversion(path, strict=strict), {}
    for index, row in enumerate(data, start=1):
        with conv.record(Where(path, index, "record")) as rec:
            require_object(rec, row)
            candidates = row.get("candidates")
            if not isinstance(candidates, list) or not all(isinstance(c, (str, int, float)) for c in candidates):
                rec.skip('bad "candidates"', f'field "candidates": expected a list of answers, got {json.dumps(json_value(candidates))[:60]}')
            candidates = [str(c).strip() for c in candidates]
            if len(candidates) < 2:
                rec.skip("fewer than 2 options", f'field "candidates": {len(candidates)} candidate(s) {candidates}, a choice needs 2')
            answer = text_field(rec, row, "answer")
            lowered = [c.lower() for c in candidates]
            if answer not in candidates and answer.lower() not in lowered:
                rec.skip("answer not among the options", f'field "answer": {answer!r} is not one of the candidates {candidates}')
            answer_index = candidates.index(answer) if answer in candidates else lowered.index(answer.lower())
            kept, answer_index = dedupe_options(rec, candidates, answer_index, "candidates")
            video = text_field(rec, row, "video")
            if _is_frame_folder(video_dir, video):
                fps = f" at {row['fps']} fps" if row.get("fps") else ""
                rec.skip("video is a folder of frames",
                         f'field "video": {video!r} is a folder of frames{fps}; tools.video reads video files only '
                         "(encode the frames to a video file, then convert with --task-name and a video_dir holding it)")
            metadata: dict[str, Any] = {"source": "mvbench", "task": name, **extra_fields(row, _MVBENCH_USED)}
            if len(kept) < len(candidates):
                metadata.update(original_options=candidates, original_answer=LETTERS[candidates.index(kept[answer_index])])
            if row.get("start") is not None and row.get("end") is not None:
                metadata["clip"] = span(rec, seconds_field(rec, row["start"], "start"), seconds_field(rec, row["end"], "end"), "start/end")
            evidence = None
            if row.get("accurate_start") is not None and row.get("accurate_end") is not None:
                moment = span(rec, seconds_field(rec, row["accurate_start"], "accurate_start"),
                              seconds_field(rec, row["accurate_end"], "accurate_end"), "accurate_start/accurate_end")
                metadata["moment"], evidence = moment, [moment]
            task = make_task(rec, {
                "id": f"mvbench/{name}/{index}",
                "video": video_path(rec, video_dir, video, "", "video", check_videos),
                "question": text_field(rec, row, "question"),
                "answer_type": "choice",
                "answer": LETTERS[answer_index],
                "options": kept,
                "evidence": evidence,
                "metadata": metadata,
            })
            add_task(conv, rec, task, seen)
    return finish(conv, out_path)
