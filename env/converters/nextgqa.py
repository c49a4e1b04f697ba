"""NExT-GQA (question CSV + ``gsub`` evidence spans) → ``choice`` tasks with ``evidence``."""

from __future__ import annotations

import json
import math
from pathlib import Path
from typing import Any

from vagent.answers import LETTERS
from vagent.env.converters.reading import PathLike, Where, add_task, extra_fields, finish, make_task, read_csv, read_json, text_field, video_path
from vagent.env.converters.records import Conversion, dedupe_options, span
from vagent.errors import ConfigError


_NEXTGQA_USED = {"video_id", "qid", "question", "answer", "a0", "a1", "a2", "a3", "a4"}


def _number(value: Any) -> float | None:
    return float(value) if isinstance(value, (int, float)) and not isinstance(value, bool) and math.isfinite(value) else None


def convert_nextgqa(
    annotation_path: PathLike,
    video_dir: PathLike,
    out_path: PathLike,
    *,
    gsub_path: PathLike | None = None,
    video_map_path: PathLike | None = None,
    video_ext: str = ".mp4",
    check_videos: bool = False,
    strict: bool = False,
) -> Conversion:
    """NExT-GQA (``test.csv``/``val.csv``: ``video_id``, ``qid``, ``question``, ``a0``..``a4``,
    ``answer`` as an index 0-4 or the answer text) + ``gsub_<split>.json`` evidence spans →
    ``choice`` tasks with ``evidence``.

    ``gsub_path`` defaults to ``gsub_<csv stem>.json`` beside the CSV; ``video_map_path``
    (``map_vid_vidorID.json``, video_id → relative path) is used when given or found beside it.
    Questions the gsub file has no spans for get no evidence, and a warning counts them; the
    gsub ``duration`` and ``fps`` and the CSV's other columns (``type``, ``frame_count``, ...)
    go to metadata.
    """
    path = Path(annotation_path)
    gsub_file = Path(gsub_path) if gsub_path else path.with_name(f"gsub_{path.stem}.json")
    gsub = read_json(gsub_file)
    if not isinstance(gsub, dict):
        raise ConfigError(f"{gsub_file}: expected a JSON object video_id → {{duration, location}}")
    map_file = Path(video_map_path) if video_map_path else path.with_name("map_vid_vidorID.json")
    video_map = read_json(map_file) if video_map_path or map_file.exists() else None
    rows = read_csv(path, ("video_id", "qid", "question", "answer", "a0", "a1"))
    conv, seen = Conversion(path, strict=strict), {}
    uncovered: list[str] = []
    unmapped: list[str] = []
    for number, row in rows:
        with conv.record(Where(path, number)) as rec:
            vid, qid = text_field(rec, row, "video_id"), text_field(rec, row, "qid")
            options = [row[c].strip() for c in ("a0", "a1", "a2", "a3", "a4") if (row.get(c) or "").strip()]
            answer = text_field(rec, row, "answer")
            if answer.isdigit() and int(answer) < len(options):
                index = int(answer)
            elif answer in options:
                index = options.index(answer)
            else:
                rec.skip("answer not among the options", f'field "answer": expected an index 0-{len(options) - 1} or one of a0..a4, got {answer!r}')
            options, index = dedupe_options(rec, options, index, "a0..a4")
            entry = gsub.get(vid) if isinstance(gsub.get(vid), dict) else {}
            duration = _number(entry.get("duration"))
            location = entry.get("location") if isinstance(entry.get("location"), dict) else {}
            raw = location.get(qid)
            evidence = None
            if raw is None:
                uncovered.append(f"{path}:{number}")
            else:
                if not isinstance(raw, list) or not raw or not all(
                    isinstance(s, list) and len(s) == 2 and all(_number(v) is not None for v in s) for s in raw
                ):
                    rec.skip('bad "location"', f'{gsub_file}: video "{vid}": field "location.{qid}": expected [[start, end], ...], got {json.dumps(raw)[:60]}')
                evidence = [span(rec, float(s), float(e), f"location.{qid}", duration) for s, e in raw]
            if video_map is not None and vid not in video_map:
                unmapped.append(vid)
            metadata = {"source": "nextgqa", "qid": qid, **extra_fields(row, _NEXTGQA_USED)}
            if duration is not None:
                metadata["duration"] = duration
            if _number(entry.get("fps")) is not None:
                metadata["fps"] = entry["fps"]
            task = make_task(rec, {
                "id": f"nextgqa/{vid}/{qid}",
                "video": video_path(rec, video_dir, str((video_map or {}).get(vid, vid)), video_ext, "video_id", check_videos),
                "question": text_field(rec, row, "question").rstrip("?") + "?",
                "answer_type": "choice",
                "answer": LETTERS[index],
                "options": options,
                "evidence": evidence,
                "metadata": metadata,
            })
            add_task(conv, rec, task, seen)
    if uncovered:
        share = "none" if len(uncovered) == len(rows) else f"{len(rows) - len(uncovered)} of {len(rows)}"
        conv.warn(f"{gsub_file} has spans for {share} of the questions: {len(uncovered)} task(s) have no evidence "
                  f"(first: {', '.join(uncovered[:3])}); is it the grounding file of this split?")
    if unmapped:
        conv.warn(f"{map_file}: no path for {len(set(unmapped))} video id(s) (first: {', '.join(unmapped[:3])}); "
                  "their videos are <video_dir>/<video_id>" + video_ext)
    return finish(conv, out_path)
