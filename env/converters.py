"""Benchmark annotation files → vagent task JSONL (see docs/tasks.md, "Converters").

Each ``convert_<name>(annotation_path, video_dir, out_path, ...)`` reads a local annotation
file, validates every record, and only then writes ``out_path`` atomically, so a failed
conversion leaves nothing behind. Problems raise :class:`~vagent.errors.ConfigError` naming the
file, the line (or record) and the field. ``CONVERTERS`` maps the CLI names to the functions.
"""

from __future__ import annotations

import csv
import json
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from vagent.env.tasks import LETTERS, Task, save_tasks
from vagent.errors import ConfigError

PathLike = str | os.PathLike[str]
_OPTION_PREFIX = re.compile(r"^\s*\(?([A-Z])[\.\):]\s*")

__all__ = ["CONVERTERS", "convert_charades_sta", "convert_mvbench", "convert_nextgqa", "convert_videomme"]


class _Where:
    """A place in an input file, for error messages: ``file:7`` or ``file: record 7``."""

    def __init__(self, path: Path, number: int, unit: str = "line"):
        self.path, self.number, self.unit = path, number, unit

    def __str__(self) -> str:
        return f"{self.path}:{self.number}" if self.unit == "line" else f"{self.path}: {self.unit} {self.number}"

    def error(self, field: str, message: str) -> ConfigError:
        return ConfigError(f'{self}: field "{field}": {message}')

    def task(self, data: dict[str, Any]) -> Task:
        try:
            return Task.from_dict(data)
        except ConfigError as exc:
            raise ConfigError(f"{self}: {exc}") from None


def _read_json(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return json.load(handle)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        line = getattr(exc, "lineno", "?")
        raise ConfigError(f"{path}:{line}: not valid JSON ({getattr(exc, 'msg', exc)})") from None


def _read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason})") from None


def _text(record: dict[str, Any], name: str, where: _Where) -> str:
    value = record.get(name)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        raise where.error(name, f"expected a non-empty string, got {json.dumps(value, default=str)[:60]}")
    return value.strip()


def _video(video_dir: PathLike, name: str, ext: str, where: _Where, field: str, check: bool) -> str:
    path = Path(video_dir).absolute() / (name if Path(name).suffix or not ext else name + ext)
    if check and not path.exists():
        raise where.error(field, f"video not found: {path}")
    return str(path)


def _finish(tasks: list[Task], out_path: PathLike) -> list[Task]:
    seen: set[str] = set()
    for task in tasks:
        if task.id in seen:
            raise ConfigError(f'{out_path}: duplicate task id "{task.id}" (two input records give the same id)')
        seen.add(task.id)
    save_tasks(tasks, out_path)
    return tasks


# ---------------------------------------------------------------- Video-MME


def _videomme_records(path: Path) -> Iterator[tuple[_Where, dict[str, Any]]]:
    if path.suffix == ".parquet":
        import pyarrow.parquet as pq

        try:
            rows = pq.read_table(path).to_pylist()
        except Exception as exc:  # pyarrow raises several types for unreadable files
            raise ConfigError(f"{path}: cannot read parquet ({exc})") from None
        units = [(_Where(path, i, "row"), row) for i, row in enumerate(rows, start=1)]
    elif path.suffix == ".jsonl":
        units = []
        for number, line in enumerate(_read_lines(path), start=1):
            if line.strip():
                try:
                    units.append((_Where(path, number), json.loads(line)))
                except json.JSONDecodeError as exc:
                    raise ConfigError(f"{path}:{number}: not valid JSON ({exc.msg})") from None
    else:
        data = _read_json(path)
        if not isinstance(data, list):
            raise ConfigError(f"{path}: expected a JSON list of questions (or of videos with \"questions\")")
        units = [(_Where(path, i, "record"), row) for i, row in enumerate(data, start=1)]
    for where, row in units:
        if not isinstance(row, dict):
            raise where.error("(record)", "expected a JSON object")
        if "questions" in row:  # the original per-video layout
            if not isinstance(row["questions"], list):
                raise where.error("questions", "expected a list of question objects")
            for question in row["questions"]:
                yield where, {**{k: v for k, v in row.items() if k != "questions"}, **question}
        else:
            yield where, row


def _youtube_id(url: Any) -> str | None:
    if not isinstance(url, str):
        return None
    parsed = urlparse(url)
    return (parse_qs(parsed.query).get("v") or [None])[0] or (parsed.path.strip("/") or None)


def convert_videomme(
    annotation_path: PathLike, video_dir: PathLike, out_path: PathLike, *, video_ext: str = ".mp4", check_videos: bool = False
) -> list[Task]:
    """Video-MME (parquet, JSON or JSONL rows with ``videoID``/``video_id``, ``question_id``,
    ``question``, ``options`` ``["A. ...", ...]``, ``answer`` letter) → ``choice`` tasks.

    Videos are ``<video_dir>/<videoID><video_ext>`` (``videoID`` falls back to the YouTube id in
    ``url``, then to ``video_id``).
    """
    path, tasks = Path(annotation_path), []
    for index, (where, row) in enumerate(_videomme_records(path), start=1):
        video_name = row.get("videoID") or _youtube_id(row.get("url")) or _text(row, "video_id", where)
        options = row.get("options")
        if hasattr(options, "tolist"):
            options = options.tolist()
        if not isinstance(options, list) or len(options) < 2 or not all(isinstance(o, str) for o in options):
            raise where.error("options", f"expected a list of option strings, got {json.dumps(options, default=str)[:60]}")
        texts = []
        for position, option in enumerate(options):
            prefix = _OPTION_PREFIX.match(option)
            texts.append(option[prefix.end():].strip() if prefix and prefix.group(1) == LETTERS[position] else option.strip())
        answer = _text(row, "answer", where).strip("(). ").upper()
        if answer not in LETTERS[: len(options)]:
            raise where.error("answer", f"expected an option letter A-{LETTERS[len(options) - 1]}, got {row.get('answer')!r}")
        qid = row.get("question_id") or f"{video_name}-{index}"
        metadata = {k: row[k] for k in ("video_id", "duration", "domain", "sub_category", "task_type", "url") if row.get(k)}
        tasks.append(
            where.task(
                {
                    "id": f"videomme/{qid}",
                    "video": _video(video_dir, str(video_name), video_ext, where, "videoID", check_videos),
                    "question": _text(row, "question", where),
                    "answer_type": "choice",
                    "answer": answer,
                    "options": texts,
                    "metadata": {"source": "videomme", **metadata},
                }
            )
        )
    return _finish(tasks, out_path)


# ---------------------------------------------------------------- MVBench


def convert_mvbench(
    annotation_path: PathLike,
    video_dir: PathLike,
    out_path: PathLike,
    *,
    task_name: str | None = None,
    check_videos: bool = False,
) -> list[Task]:
    """MVBench (a JSON list of ``{video, question, candidates, answer}``; the answer is the text
    of one candidate; optional ``start``/``end`` bound the clip) → ``choice`` tasks.

    ``task_name`` (default: the file's stem, e.g. ``action_sequence``) prefixes the ids.
    """
    path = Path(annotation_path)
    name = task_name or path.stem
    data = _read_json(path)
    if not isinstance(data, list):
        raise ConfigError(f"{path}: expected a JSON list of question objects")
    tasks = []
    for index, row in enumerate(data, start=1):
        where = _Where(path, index, "record")
        if not isinstance(row, dict):
            raise where.error("(record)", "expected a JSON object")
        candidates = row.get("candidates")
        if not isinstance(candidates, list) or len(candidates) < 2:
            raise where.error("candidates", f"expected a list of at least 2 answers, got {json.dumps(candidates)[:60]}")
        candidates = [str(c).strip() for c in candidates]
        answer = _text(row, "answer", where)
        if answer not in candidates:
            lowered = [c.lower() for c in candidates]
            if answer.lower() not in lowered:
                raise where.error("answer", f"{answer!r} is not one of the candidates {candidates}")
            answer = candidates[lowered.index(answer.lower())]
        metadata: dict[str, Any] = {"source": "mvbench", "task": name}
        if row.get("start") is not None and row.get("end") is not None:
            try:
                metadata["clip"] = [float(row["start"]), float(row["end"])]
            except (TypeError, ValueError):
                raise where.error("start", f"clip bounds must be numbers, got {row['start']!r}, {row['end']!r}") from None
        tasks.append(
            where.task(
                {
                    "id": f"mvbench/{name}/{index}",
                    "video": _video(video_dir, _text(row, "video", where), "", where, "video", check_videos),
                    "question": _text(row, "question", where),
                    "answer_type": "choice",
                    "answer": LETTERS[candidates.index(answer)],
                    "options": candidates,
                    "metadata": metadata,
                }
            )
        )
    return _finish(tasks, out_path)


# ---------------------------------------------------------------- Charades-STA

_CHARADES = re.compile(r"^(\S+)\s+(\S+)\s+(\S+)\s*##(.*)$")


def convert_charades_sta(
    annotation_path: PathLike, video_dir: PathLike, out_path: PathLike, *, video_ext: str = ".mp4", check_videos: bool = False
) -> list[Task]:
    """Charades-STA (lines ``VID start end##sentence``) → ``span`` tasks (evidence = the span)."""
    path, tasks, per_video = Path(annotation_path), [], {}
    for number, line in enumerate(_read_lines(path), start=1):
        if not line.strip():
            continue
        where = _Where(path, number)
        match = _CHARADES.match(line.strip())
        if not match:
            raise where.error("(line)", f'expected "VIDEO_ID START END##SENTENCE", got {line.strip()[:60]!r}')
        vid, start_text, end_text, sentence = match.groups()
        bounds = []
        for field, value in (("start", start_text), ("end", end_text)):
            try:
                bounds.append(float(value))
            except ValueError:
                raise where.error(field, f"expected seconds, got {value!r}") from None
        if not sentence.strip():
            raise where.error("sentence", "empty query sentence after ##")
        if bounds[0] > bounds[1]:
            raise where.error("start", f"start {bounds[0]} is after end {bounds[1]}")
        per_video[vid] = per_video.get(vid, 0) + 1
        sentence = sentence.strip().rstrip(".")
        tasks.append(
            where.task(
                {
                    "id": f"charades_sta/{vid}/{per_video[vid]}",
                    "video": _video(video_dir, vid, video_ext, where, "video_id", check_videos),
                    "question": f'When does this happen in the video: "{sentence}"?',
                    "answer_type": "span",
                    "answer": [bounds],
                    "evidence": [bounds],
                    "metadata": {"source": "charades_sta", "query": sentence},
                }
            )
        )
    return _finish(tasks, out_path)


# ---------------------------------------------------------------- NExT-GQA


def convert_nextgqa(
    annotation_path: PathLike,
    video_dir: PathLike,
    out_path: PathLike,
    *,
    gsub_path: PathLike | None = None,
    video_map_path: PathLike | None = None,
    video_ext: str = ".mp4",
    check_videos: bool = False,
) -> list[Task]:
    """NExT-GQA (``test.csv``/``val.csv``: ``video_id``, ``qid``, ``question``, ``a0``..``a4``,
    ``answer`` as an index 0-4 or the answer text) + ``gsub_<split>.json`` evidence spans →
    ``choice`` tasks with ``evidence``.

    ``gsub_path`` defaults to ``gsub_<csv stem>.json`` beside the CSV; ``video_map_path``
    (``map_vid_vidorID.json``, video_id → relative path) is used when given or found beside it.
    Questions without spans in the gsub file get ``evidence: null``.
    """
    path = Path(annotation_path)
    gsub_file = Path(gsub_path) if gsub_path else path.with_name(f"gsub_{path.stem}.json")
    gsub = _read_json(gsub_file)
    if not isinstance(gsub, dict):
        raise ConfigError(f"{gsub_file}: expected a JSON object video_id → {{duration, location}}")
    map_file = Path(video_map_path) if video_map_path else path.with_name("map_vid_vidorID.json")
    video_map = _read_json(map_file) if video_map_path or map_file.exists() else {}
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            rows = [(reader.line_num, row) for row in reader]
            columns = reader.fieldnames or []
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except (csv.Error, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not a readable CSV ({exc})") from None
    missing = [c for c in ("video_id", "qid", "question", "answer", "a0", "a1") if c not in columns]
    if missing:
        raise ConfigError(f'{path}:1: field "{missing[0]}": missing column (header has: {", ".join(columns)})')
    tasks = []
    for number, row in rows:
        where = _Where(path, number)
        vid, qid = _text(row, "video_id", where), _text(row, "qid", where)
        options = [row[c].strip() for c in ("a0", "a1", "a2", "a3", "a4") if (row.get(c) or "").strip()]
        answer = _text(row, "answer", where)
        if answer.isdigit() and int(answer) < len(options):
            index = int(answer)
        elif answer in options:
            index = options.index(answer)
        else:
            raise where.error("answer", f"expected an index 0-{len(options) - 1} or one of a0..a4, got {answer!r}")
        video_entry = gsub.get(vid) if isinstance(gsub.get(vid), dict) else {}
        location = video_entry.get("location") if isinstance(video_entry.get("location"), dict) else {}
        spans = location.get(qid)
        if spans is not None:
            if not isinstance(spans, list) or not all(
                isinstance(s, list) and len(s) == 2 and all(isinstance(v, (int, float)) and not isinstance(v, bool) for v in s)
                for s in spans
            ):
                raise ConfigError(f'{gsub_file}: video "{vid}": field "location.{qid}": expected [[start, end], ...]')
            spans = [[min(s, e), max(s, e)] for s, e in spans]  # a few published spans are written end-first
        metadata = {"source": "nextgqa", "qid": qid, "type": (row.get("type") or "").strip() or None}
        if isinstance(video_entry.get("duration"), (int, float)):
            metadata["duration"] = video_entry["duration"]
        task = where.task(
            {
                "id": f"nextgqa/{vid}/{qid}",
                "video": _video(video_dir, str(video_map.get(vid, vid)), video_ext, where, "video_id", check_videos),
                "question": _text(row, "question", where).rstrip("?") + "?",
                "answer_type": "choice",
                "answer": LETTERS[index],
                "options": options,
                "evidence": spans or None,
                "metadata": {k: v for k, v in metadata.items() if v is not None},
            }
        )
        tasks.append(task)
    return _finish(tasks, out_path)


CONVERTERS: dict[str, Callable[..., list[Task]]] = {
    "videomme": convert_videomme,
    "mvbench": convert_mvbench,
    "charades_sta": convert_charades_sta,
    "nextgqa": convert_nextgqa,
}
"""Converter by CLI name: ``vagent data convert <name> ANNOTATIONS VIDEO_DIR OUT``."""
