"""Benchmark annotation files → vagent task JSONL (see docs/tasks.md, "Converters").

Each ``convert_<name>(annotation_path, video_dir, out_path, ...)`` reads a local annotation
file record by record. A record with a problem that a documented rule repairs
(:data:`~vagent.env._records.REPAIR_RULES`: reversed spans, slightly negative times, spans past
a known end, duplicate options) is repaired and counted; any other problem skips the record,
counted with its place and reason. The output is written atomically at the end, and only when
at least one task was converted. Problems with the file itself (unreadable, not JSON, missing
CSV columns) and, with ``strict=True``, the first problem of any record raise
:class:`~vagent.errors.ConfigError` naming the file, the line (or record) and the field; nothing
is written then. Each converter returns a :class:`~vagent.env._records.Conversion`: the list of
tasks written, with the counts. ``CONVERTERS`` maps the CLI names to the functions.
"""

from __future__ import annotations

import csv
import json
import math
import os
import re
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any
from urllib.parse import parse_qs, urlparse

from vagent.env._records import REPAIR_RULES, Conversion, Record, dedupe_options, span
from vagent.answers import LETTERS
from vagent.env.tasks import Task, save_tasks
from vagent.errors import ConfigError

PathLike = str | os.PathLike[str]
_OPTION_PREFIX = re.compile(r"^\s*\(?([A-Z])[\.\):]\s*")
VIDEO_SUFFIXES = {".mp4", ".m4v", ".mov", ".mkv", ".webm", ".avi", ".flv", ".ts", ".mts", ".mpg", ".mpeg", ".ogv", ".3gp", ".wmv", ".gif"}

__all__ = [
    "CONVERTERS",
    "REPAIR_RULES",
    "Conversion",
    "convert_charades_sta",
    "convert_mvbench",
    "convert_nextgqa",
    "convert_videomme",
]


class _Where:
    """A place in an input file, for messages: ``file:7`` or ``file: record 7``."""

    def __init__(self, path: Path, number: int, unit: str = "line"):
        self.path, self.number, self.unit = path, number, unit

    def __str__(self) -> str:
        return f"{self.path}:{self.number}" if self.unit == "line" else f"{self.path}: {self.unit} {self.number}"


def _json_value(value: Any) -> Any:
    """``value`` as plain JSON (numpy scalars and arrays from parquet become Python values)."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (list, tuple)):
        return [_json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): _json_value(v) for k, v in value.items()}
    return value if value is None or isinstance(value, (str, int, float, bool)) else str(value)


def _extra(row: dict[str, Any], used: set[str]) -> dict[str, Any]:
    """Source fields no converter rule reads, kept in metadata so nothing is dropped silently."""
    return {k: _json_value(v) for k, v in row.items() if k not in used and v is not None and v != ""}


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


def _read_csv(path: Path, required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
    try:
        with path.open(encoding="utf-8", newline="") as handle:
            reader = csv.DictReader(handle)
            rows = [(reader.line_num, row) for row in reader]
            columns = reader.fieldnames or []
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except (csv.Error, UnicodeDecodeError) as exc:
        raise ConfigError(f"{path}: not a readable CSV ({exc})") from None
    missing = [c for c in required if c not in columns]
    if missing:
        raise ConfigError(f'{path}:1: field "{missing[0]}": missing column (header has: {", ".join(columns)})')
    return rows


def _text(rec: Record, row: dict[str, Any], name: str) -> str:
    value = row.get(name)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        rec.skip(f'missing "{name}"', f'field "{name}": expected a non-empty string, got {json.dumps(_json_value(value))[:60]}')
    return value.strip()


def _seconds(rec: Record, value: Any, name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if isinstance(value, bool) or not math.isfinite(number):
        rec.skip(f'bad "{name}"', f'field "{name}": expected seconds, got {value!r}')
    return number


def _video(rec: Record, video_dir: PathLike, name: str, ext: str, field: str, check: bool) -> str:
    path = Path(video_dir).absolute() / (name if Path(name).suffix or not ext else name + ext)
    if check and not path.is_file():
        rec.skip("video not found", f'field "{field}": video not found: {path}')
    return str(path)


def _task(rec: Record, data: dict[str, Any]) -> Task:
    try:
        return Task.from_dict(data)
    except ConfigError as exc:
        rec.skip("invalid task", str(exc))


def _add(conv: Conversion, rec: Record, task: Task, seen: dict[str, str]) -> None:
    if task.id in seen:
        rec.skip("duplicate id", f'task id "{task.id}" was already given by {seen[task.id]}')
    seen[task.id] = rec.where
    conv.append(task)


def _finish(conv: Conversion, out_path: PathLike) -> Conversion:
    if not conv:
        reasons = "; ".join(f"{reason}: {len(places)} (first: {places[0]})" for reason, places in conv.skipped.items())
        raise ConfigError(f"{conv.source}: no task could be converted from {conv.rows} record(s)" + (f" ({reasons})" if reasons else ""))
    save_tasks(conv, out_path)
    return conv


# ---------------------------------------------------------------- Video-MME


def _videomme_records(path: Path) -> Iterator[tuple[_Where, Any]]:
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
                    units.append((_Where(path, number), ValueError(f"not valid JSON ({exc.msg})")))
    else:
        data = _read_json(path)
        if not isinstance(data, list):
            raise ConfigError(f"{path}: expected a JSON list of questions (or of videos with \"questions\")")
        units = [(_Where(path, i, "record"), row) for i, row in enumerate(data, start=1)]
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


def _not_a_record(rec: Record, row: Any) -> None:
    if isinstance(row, ValueError):
        rec.skip("not valid JSON", str(row))
    if not isinstance(row, dict):
        rec.skip("not an object", f"expected a JSON object, got {type(row).__name__}")


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
    to ``metadata.subtitles`` when it exists (a warning counts the videos without one). Every
    other column (``duration``, ``domain``, ``sub_category``, ``task_type``, ...) goes to metadata.
    """
    path = Path(annotation_path)
    conv, seen = Conversion(path, strict=strict), {}
    subtitles_missing: list[str] = []
    for index, (where, row) in enumerate(_videomme_records(path), start=1):
        with conv.record(where) as rec:
            _not_a_record(rec, row)
            video_name = str(row.get("videoID") or _youtube_id(row.get("url")) or _text(rec, row, "video_id"))
            options = _json_value(row.get("options"))
            if not isinstance(options, list) or not all(isinstance(o, str) and o.strip() for o in options):
                rec.skip('bad "options"', f'field "options": expected a list of option strings, got {json.dumps(options)[:60]}')
            if len(options) < 2:
                rec.skip("fewer than 2 options", f'field "options": {len(options)} option(s), a choice needs 2')
            texts = []
            for position, option in enumerate(options):
                prefix = _OPTION_PREFIX.match(option)
                texts.append(option[prefix.end():].strip() if prefix and prefix.group(1) == LETTERS[position] else option.strip())
            answer = _text(rec, row, "answer").strip("(). ").upper()
            if answer not in LETTERS[: len(texts)]:
                rec.skip("answer not among the options",
                         f'field "answer": expected an option letter A-{LETTERS[len(texts) - 1]}, got {row.get("answer")!r}')
            kept, answer_index = dedupe_options(rec, texts, LETTERS.index(answer))
            metadata = {"source": "videomme", **_extra(row, _VIDEOMME_USED - {"video_id", "url"})}
            if len(kept) < len(texts):
                metadata.update(original_options=texts, original_answer=answer)
            if subtitle_dir is not None:
                srt = Path(subtitle_dir).absolute() / f"{video_name}.srt"
                if srt.is_file():
                    metadata["subtitles"] = str(srt)
                elif video_name not in subtitles_missing:
                    subtitles_missing.append(video_name)
            qid = row.get("question_id") or f"{video_name}-{index}"
            task = _task(rec, {
                "id": f"videomme/{qid}",
                "video": _video(rec, video_dir, video_name, video_ext, "videoID", check_videos),
                "question": _text(rec, row, "question"),
                "answer_type": "choice",
                "answer": LETTERS[answer_index],
                "options": kept,
                "metadata": metadata,
            })
            _add(conv, rec, task, seen)
    if subtitles_missing:
        conv.warn(f"{subtitle_dir}: no subtitles for {len(subtitles_missing)} video(s) (first: {', '.join(subtitles_missing[:3])})")
    return _finish(conv, out_path)


# ---------------------------------------------------------------- MVBench

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
    data = _read_json(path)
    if not isinstance(data, list):
        raise ConfigError(f"{path}: expected a JSON list of question objects")
    conv, seen = Conversion(path, strict=strict), {}
    for index, row in enumerate(data, start=1):
        with conv.record(_Where(path, index, "record")) as rec:
            _not_a_record(rec, row)
            candidates = row.get("candidates")
            if not isinstance(candidates, list) or not all(isinstance(c, (str, int, float)) for c in candidates):
                rec.skip('bad "candidates"', f'field "candidates": expected a list of answers, got {json.dumps(_json_value(candidates))[:60]}')
            candidates = [str(c).strip() for c in candidates]
            if len(candidates) < 2:
                rec.skip("fewer than 2 options", f'field "candidates": {len(candidates)} candidate(s) {candidates}, a choice needs 2')
            answer = _text(rec, row, "answer")
            lowered = [c.lower() for c in candidates]
            if answer not in candidates and answer.lower() not in lowered:
                rec.skip("answer not among the options", f'field "answer": {answer!r} is not one of the candidates {candidates}')
            answer_index = candidates.index(answer) if answer in candidates else lowered.index(answer.lower())
            kept, answer_index = dedupe_options(rec, candidates, answer_index, "candidates")
            video = _text(rec, row, "video")
            if _is_frame_folder(video_dir, video):
                fps = f" at {row['fps']} fps" if row.get("fps") else ""
                rec.skip("video is a folder of frames",
                         f'field "video": {video!r} is a folder of frames{fps}; tools.video reads video files only '
                         "(encode the frames to a video file, then convert with --task-name and a video_dir holding it)")
            metadata: dict[str, Any] = {"source": "mvbench", "task": name, **_extra(row, _MVBENCH_USED)}
            if len(kept) < len(candidates):
                metadata.update(original_options=candidates, original_answer=LETTERS[candidates.index(kept[answer_index])])
            if row.get("start") is not None and row.get("end") is not None:
                metadata["clip"] = span(rec, _seconds(rec, row["start"], "start"), _seconds(rec, row["end"], "end"), "start/end")
            evidence = None
            if row.get("accurate_start") is not None and row.get("accurate_end") is not None:
                moment = span(rec, _seconds(rec, row["accurate_start"], "accurate_start"),
                              _seconds(rec, row["accurate_end"], "accurate_end"), "accurate_start/accurate_end")
                metadata["moment"], evidence = moment, [moment]
            task = _task(rec, {
                "id": f"mvbench/{name}/{index}",
                "video": _video(rec, video_dir, video, "", "video", check_videos),
                "question": _text(rec, row, "question"),
                "answer_type": "choice",
                "answer": LETTERS[answer_index],
                "options": kept,
                "evidence": evidence,
                "metadata": metadata,
            })
            _add(conv, rec, task, seen)
    return _finish(conv, out_path)


# ---------------------------------------------------------------- Charades-STA

_CHARADES = re.compile(r"^(\S+)\s+(\S+)\s+(\S+)\s*##(.*)$")


def _charades_durations(path: Path, durations_path: PathLike | None) -> tuple[dict[str, float], Path | None]:
    split = re.sub(r"^charades_sta_", "", path.stem)
    file = Path(durations_path) if durations_path else path.with_name(f"Charades_v1_{split}.csv")
    if not durations_path and not file.is_file():
        return {}, None
    durations = {}
    for number, row in _read_csv(file, ("id", "length")):
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
    for number, line in enumerate(_read_lines(path), start=1):
        if not line.strip():
            continue
        with conv.record(_Where(path, number)) as rec:
            match = _CHARADES.match(line.strip())
            if not match:
                rec.skip("not VIDEO START END##SENTENCE", f'expected "VIDEO_ID START END##SENTENCE", got {line.strip()[:60]!r}')
            vid, start_text, end_text, sentence = match.groups()
            start, end = _seconds(rec, start_text, "start"), _seconds(rec, end_text, "end")
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
            task = _task(rec, {
                "id": f"charades_sta/{vid}/{per_video[vid]}",
                "video": _video(rec, video_dir, vid, video_ext, "video_id", check_videos),
                "question": f'When does this happen in the video: "{sentence}"?',
                "answer_type": "span",
                "answer": [bounds],
                "evidence": [bounds],
                "metadata": metadata,
            })
            _add(conv, rec, task, seen)
    if unknown:
        conv.warn(f"{durations_file}: no length for {len(unknown)} video(s) (first: {', '.join(sorted(unknown)[:3])}); "
                  "their spans are not checked against the video's end")
    return _finish(conv, out_path)


# ---------------------------------------------------------------- NExT-GQA

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
    gsub = _read_json(gsub_file)
    if not isinstance(gsub, dict):
        raise ConfigError(f"{gsub_file}: expected a JSON object video_id → {{duration, location}}")
    map_file = Path(video_map_path) if video_map_path else path.with_name("map_vid_vidorID.json")
    video_map = _read_json(map_file) if video_map_path or map_file.exists() else None
    rows = _read_csv(path, ("video_id", "qid", "question", "answer", "a0", "a1"))
    conv, seen = Conversion(path, strict=strict), {}
    uncovered: list[str] = []
    unmapped: list[str] = []
    for number, row in rows:
        with conv.record(_Where(path, number)) as rec:
            vid, qid = _text(rec, row, "video_id"), _text(rec, row, "qid")
            options = [row[c].strip() for c in ("a0", "a1", "a2", "a3", "a4") if (row.get(c) or "").strip()]
            answer = _text(rec, row, "answer")
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
            metadata = {"source": "nextgqa", "qid": qid, **_extra(row, _NEXTGQA_USED)}
            if duration is not None:
                metadata["duration"] = duration
            if _number(entry.get("fps")) is not None:
                metadata["fps"] = entry["fps"]
            task = _task(rec, {
                "id": f"nextgqa/{vid}/{qid}",
                "video": _video(rec, video_dir, str((video_map or {}).get(vid, vid)), video_ext, "video_id", check_videos),
                "question": _text(rec, row, "question").rstrip("?") + "?",
                "answer_type": "choice",
                "answer": LETTERS[index],
                "options": options,
                "evidence": evidence,
                "metadata": metadata,
            })
            _add(conv, rec, task, seen)
    if uncovered:
        share = "none" if len(uncovered) == len(rows) else f"{len(rows) - len(uncovered)} of {len(rows)}"
        conv.warn(f"{gsub_file} has spans for {share} of the questions: {len(uncovered)} task(s) have no evidence "
                  f"(first: {', '.join(uncovered[:3])}); is it the grounding file of this split?")
    if unmapped:
        conv.warn(f"{map_file}: no path for {len(set(unmapped))} video id(s) (first: {', '.join(unmapped[:3])}); "
                  "their videos are <video_dir>/<video_id>" + video_ext)
    return _finish(conv, out_path)


CONVERTERS: dict[str, Callable[..., Conversion]] = {
    "videomme": convert_videomme,
    "mvbench": convert_mvbench,
    "charades_sta": convert_charades_sta,
    "nextgqa": convert_nextgqa,
}
"""Converter by CLI name: ``vagent data convert <name> ANNOTATIONS --video-dir DIR --out OUT``."""
