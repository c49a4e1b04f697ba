"""What every converter shares: reading annotation files, reading one field of a record, making the task.

Problems with a file raise :class:`~vagent.errors.ConfigError` naming the file (and line); problems
with one field skip the record through its :class:`~vagent.env.converters.records.Record`.
"""

from __future__ import annotations

import csv
import json
import math
import os
from pathlib import Path
from typing import Any

from vagent.env.converters.records import Conversion, Record
from vagent.env.tasks import Task, save_tasks
from vagent.errors import ConfigError

PathLike = str | os.PathLike[str]


class Where:
    """A place in an input file, for messages: ``file:7`` or ``file: record 7``."""

    def __init__(self, path: Path, number: int, unit: str = "line"):
        self.path, self.number, self.unit = path, number, unit

    def __str__(self) -> str:
        return f"{self.path}:{self.number}" if self.unit == "line" else f"{self.path}: {self.unit} {self.number}"


def json_value(value: Any) -> Any:
    """``value`` as plain JSON (numpy scalars and arrays from parquet become Python values)."""
    if hasattr(value, "tolist"):
        value = value.tolist()
    if isinstance(value, float) and not math.isfinite(value):
        return None
    if isinstance(value, (list, tuple)):
        return [json_value(v) for v in value]
    if isinstance(value, dict):
        return {str(k): json_value(v) for k, v in value.items()}
    return value if value is None or isinstance(value, (str, int, float, bool)) else str(value)


def extra_fields(row: dict[str, Any], used: set[str]) -> dict[str, Any]:
    """Source fields no converter rule reads, kept in metadata so nothing is dropped silently."""
    return {k: json_value(v) for k, v in row.items() if k not in used and v is not None and v != ""}


def read_json(path: Path) -> Any:
    try:
        with path.open(encoding="utf-8") as handle:
            return json.load(handle)
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except (json.JSONDecodeError, UnicodeDecodeError) as exc:
        line = getattr(exc, "lineno", "?")
        raise ConfigError(f"{path}:{line}: not valid JSON ({getattr(exc, 'msg', exc)})") from None


def read_lines(path: Path) -> list[str]:
    try:
        return path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason})") from None


def read_csv(path: Path, required: tuple[str, ...]) -> list[tuple[int, dict[str, str]]]:
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


def text_field(rec: Record, row: dict[str, Any], name: str) -> str:
    value = row.get(name)
    if isinstance(value, (int, float)) and not isinstance(value, bool):
        value = str(value)
    if not isinstance(value, str) or not value.strip():
        rec.skip(f'missing "{name}"', f'field "{name}": expected a non-empty string, got {json.dumps(json_value(value))[:60]}')
    return value.strip()


def seconds_field(rec: Record, value: Any, name: str) -> float:
    try:
        number = float(value)
    except (TypeError, ValueError):
        number = math.nan
    if isinstance(value, bool) or not math.isfinite(number):
        rec.skip(f'bad "{name}"', f'field "{name}": expected seconds, got {value!r}')
    return number


def video_path(rec: Record, video_dir: PathLike, name: str, ext: str, field: str, check: bool) -> str:
    path = Path(video_dir).absolute() / (name if Path(name).suffix or not ext else name + ext)
    if check and not path.is_file():
        rec.skip("video not found", f'field "{field}": video not found: {path}')
    return str(path)


def make_task(rec: Record, data: dict[str, Any]) -> Task:
    try:
        return Task.from_dict(data)
    except ConfigError as exc:
        rec.skip("invalid task", str(exc))


def add_task(conv: Conversion, rec: Record, task: Task, seen: dict[str, str]) -> None:
    if task.id in seen:
        rec.skip("duplicate id", f'task id "{task.id}" was already given by {seen[task.id]}')
    seen[task.id] = rec.where
    conv.append(task)


def finish(conv: Conversion, out_path: PathLike) -> Conversion:
    if not conv:
        reasons = "; ".join(f"{reason}: {len(places)} (first: {places[0]})" for reason, places in conv.skipped.items())
        raise ConfigError(f"{conv.source}: no task could be converted from {conv.rows} record(s)" + (f" ({reasons})" if reasons else ""))
    save_tasks(conv, out_path)
    return conv


def require_object(rec: Record, row: Any) -> None:
    if isinstance(row, ValueError):
        rec.skip("not valid JSON", str(row))
    if not isinstance(row, dict):
        rec.skip("not an object", f"expected a JSON object, got {type(row).__name__}")
