"""Video-MME (parquet, JSON or JSONL) → ``choice`` tasks; subtitles by video when a folder of ``.srt`` files is given."""

from __future__ import annotations

import json
import re
from collections.abc import Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

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
    read_lines,
    require_object,
    text_field,
    video_path,
)
from vagent.env.converters.records import Conversion, dedupe_options
from vagent.errors import ConfigError

_OPTION_PREFIX = re.compile(r"^\s*\(?([A-Z])[\.\):]\s*")


def _videomme_records(path: Path) -> Iterator[tuple[Where, Any]]:
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        try:
            rows = pq.read_table(path).to_pylist()
        except Exception as exc:  # pyarrow raises several types for unreadable files
            raise ConfigError(f"{path}: cannot read parquet ({exc})") from None
        units = [(Where(path, i, "row"), row) for i, row in enumerate(rows, start=1)]
    elif path.suffix == ".jsonl":
        units = []
        for number, line in enumerate(read_lines(path), start=1):
            if line.strip():
                try:
                    units.append((Where(path, number), json.loads(line)))
                except json.JSONDecodeError as exc:
                    units.append((Where(path, number), ValueError(f"not valid JSON ({exc.msg})")))
    else:
        data = read_json(path)
        if not isinstance(data, list):
            raise ConfigError(f"{path}: expected a JSON list of questions (or of videos with \"questions\")")
        units = [(Where(path, i, "record"), row) for i, row in enumerate(data, start=1)]
    for where, row in units:
        if isinstance(row, dict) and isinstance(row.get("questions"), list):  # the original per-video layout
            for question in row["questions"]:
                yield where, {**{k: v for k, v in row.items() if k != "questions"}, **question} if isinstance(question, dict) else question
        else:
            yield where, row


def _youtube_id(url: Any) -> str | None:
    if not isinstance(url, str):
        return None
    parsed = urlparse(url)
    return (parse_qs(parsed.query).get("v") or [None])[0] or (parsed.path.strip("/") or None)


_VIDEOMME_USED = {"videoID", "video_id", "url", "question_id", "question", "options", "answer", "questions"}


def convert_videomme(
    annotation_path: PathLike,
    video_dir: PathLike,
    out_path: PathLike,
    *,
    video_ext: str = ".mp4",
    subtitle_dir: PathLike | None = None,
    check_videos: bool = False,
    strict: bool = False,
) -> Conversion:
    """Video-MME (parquet, JSON or JSONL rows with ``videoID``/``video_id``, ``question_id``,
    ``question``, ``options`` ``["A. ...", ...]``, ``answer`` letter) → ``choice`` tasks.

    Videos are ``<video_dir>/<videoID><video_ext>`` (``videoID`` falls back to the YouTube id in
    ``url``, then to ``video_id``). With ``subtitle_dir``, ``<subtitle_dir>/<videoID>.srt`` goes
    to ``metadata.subtitles`` when it exists (a warning counts the videos without one): the video's
    timed text in that task's episodes (``listen``, spoken search; docs/tasks.md). Every
    other column (``duration``, ``domain``, ``sub_category``, ``task_type``, ...) goes to metadata.
    """
    path = Path(annotation_path)
    conv, seen = Conversion(path, strict=strict), {}
    subtitles_missing: list[str] = []
    for index, (where, row) in enumerate(_videomme_records(path), start=1):
        with conv.record(where) as rec:
            require_object(rec, row)
            video_name = str(row.get("videoID") or _youtube_id(row.get("url")) or text_field(rec, row, "video_id"))
            options = json_value(row.get("options"))
            if not isinstance(options, list) or not all(isinstance(o, str) and o.strip() for o in options):
                rec.skip('bad "options"', f'field "options": expected a list of option strings, got {json.dumps(options)[:60]}')
            if len(options) < 2:
                rec.skip("fewer than 2 options", f'field "options": {len(options)} option(s), a choice needs 2')
            texts = []
            for position, option in enumerate(options):
                prefix = _OPTION_PREFIX.match(option)
                texts.append(option[prefix.end():].strip() if prefix and prefix.group(1) == LETTERS[position] else option.strip())
            answer = text_field(rec, row, "answer").strip("(). ").upper()
            if answer not in LETTERS[: len(texts)]:
                rec.skip("answer not among the options",
                         f'field "answer": expected an option letter A-{LETTERS[len(texts) - 1]}, got {row.get("answer")!r}')
            kept, answer_index = dedupe_options(rec, texts, LETTERS.index(answer))
            metadata = {"source": "videomme", **extra_fields(row, _VIDEOMME_USED - {"video_id", "url"})}
            if len(kept) < len(texts):
                metadata.update(original_options=texts, original_answer=answer)
            if subtitle_dir is not None:
                srt = Path(subtitle_dir).absolute() / f"{video_name}.srt"
                if srt.is_file():
                    metadata["subtitles"] = str(srt)
                elif video_name not in subtitles_missing:
                    subtitles_missing.append(video_name)
            qid = row.get("question_id") or f"{video_name}-{index}"
            task = make_task(rec, {
                "id": f"videomme/{qid}",
                "video": video_path(rec, video_dir, video_name, video_ext, "videoID", check_videos),
                "question": text_field(rec, row, "question"),
                "answer_type": "choice",
                "answer": LETTERS[answer_index],
                "options": kept,
                "metadata": metadata,
            })
            add_task(conv, rec, task, seen)
    if subtitles_missing:
        conv.warn(f"{subtitle_dir}: no subtitles for {len(subtitles_missing)} video(s) (first: {', '.join(subtitles_missing[:3])})")
    return finish(conv, out_path)
