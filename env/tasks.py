"""The task format: one JSON object per line (see docs/tasks.md).

A task file is JSONL; :func:`load_tasks` validates every line and raises
:class:`~vagent.errors.ConfigError` naming the file, line and field of the first problem.

>>> task = Task.from_dict({"id": "q1", "video": "/v.mp4", "question": "Which?",
...                        "answer_type": "choice", "answer": "b", "options": ["red", "blue"]})
>>> task.answer
'B'
>>> Task.from_dict({"id": "q2", "video": "/v.mp4", "question": "When?",
...                 "answer_type": "span", "answer": [3, 5]}).answer
[[3.0, 5.0]]
"""

from __future__ import annotations

import json
import math
import os
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any, Literal

from vagent.answers import LETTERS
from vagent.env.rewards import RewardSpec
from vagent.errors import ConfigError
from vagent.files import write_lines_atomic

AnswerType = Literal["choice", "number", "text", "span", "box"]
ANSWER_TYPES: tuple[str, ...] = ("choice", "number", "text", "span", "box")
REQUIRED_FIELDS: tuple[str, ...] = ("id", "video", "question", "answer_type", "answer")
OPTIONAL_FIELDS: tuple[str, ...] = ("options", "evidence", "metadata", "reward")

__all__ = [
    "ANSWER_TYPES",
    "AnswerType",
    "Task",
    "load_tasks",
    "save_tasks",
]


class _Invalid(ConfigError):
    """A field-level problem; ``load_tasks`` adds the file and line."""

    def __init__(self, field_name: str, message: str):
        super().__init__(f'field "{field_name}": {message}')
        self.field_name = field_name


@dataclass
class Task:
    """A question about a video with a verifiable answer.

    ``answer`` by ``answer_type``: ``choice`` a capital letter ("B") indexing ``options``
    (A = first); ``number`` a float; ``text`` a short string, or a list of acceptable strings;
    ``span`` a list of ``[start, end]`` intervals in seconds; ``box`` a normalised
    ``[x1, y1, x2, y2]`` in 0..1 (at ``metadata["time"]`` when the box is for one moment).
    """

    id: str
    video: str
    question: str
    answer_type: AnswerType
    answer: Any
    options: list[str] | None = None
    """Option texts in letter order (A, B, ...); required for ``choice``."""
    evidence: list[list[float]] | None = None
    """Time spans (seconds) where the answer can be seen, when known."""
    metadata: dict[str, Any] = field(default_factory=dict)
    """Free-form: source benchmark, duration, category, ... (JSON values only)."""
    reward: str | None = None
    """A reward spec for this task (a preset name like ``"grounding"`` or a spec string like
    ``"accuracy:1,format:0.2"``, see docs/rewards.md); ``None`` uses the run's default."""

    def __post_init__(self) -> None:
        _normalise(self)

    def to_dict(self) -> dict[str, Any]:
        """The JSON object of one task line (optional fields left out when empty)."""
        data: dict[str, Any] = {
            "id": self.id,
            "video": self.video,
            "question": self.question,
            "answer_type": self.answer_type,
            "answer": self.answer,
        }
        if self.options is not None:
            data["options"] = list(self.options)
        if self.evidence is not None:
            data["evidence"] = [list(span) for span in self.evidence]
        if self.metadata:
            data["metadata"] = dict(self.metadata)
        if self.reward is not None:
            data["reward"] = self.reward
        return data

    @classmethod
    def from_dict(cls, data: dict[str, Any]) -> "Task":
        """Build and validate a task; problems raise :class:`ConfigError` naming the field."""
        return _from_dict(data)


def _from_dict(data: Any) -> Task:
    if not isinstance(data, dict):
        raise _Invalid("(line)", f"expected a JSON object, got {type(data).__name__}")
    for name in REQUIRED_FIELDS:
        if name not in data:
            raise _Invalid(name, "missing (required: " + ", ".join(REQUIRED_FIELDS) + ")")
    unknown = sorted(set(data) - set(REQUIRED_FIELDS) - set(OPTIONAL_FIELDS))
    if unknown:
        raise _Invalid(unknown[0], "unknown field (put extra information under \"metadata\")")
    kwargs = {name: data[name] for name in REQUIRED_FIELDS + OPTIONAL_FIELDS if name in data}
    if kwargs.get("metadata") is None:
        kwargs.pop("metadata", None)
    return Task(**kwargs)


def _show(value: Any) -> str:
    text = json.dumps(value, ensure_ascii=False) if not isinstance(value, float) or math.isfinite(value) else str(value)
    return text if len(text) <= 80 else text[:77] + "..."


def _number(value: Any) -> float | None:
    if isinstance(value, bool) or not isinstance(value, (int, float)):
        return None
    value = float(value)
    return value if math.isfinite(value) else None


def _spans(value: Any, field_name: str, answer_type: str | None = None) -> list[list[float]]:
    context = f' for answer_type "{answer_type}"' if answer_type else ""
    expected = f"expected a list of [start, end] pairs{context}, got {_show(value)}"
    if isinstance(value, list) and len(value) == 2 and all(_number(v) is not None for v in value):
        value = [value]  # one pair written flat
    if not isinstance(value, list) or not value:
        raise _Invalid(field_name, expected)
    spans = []
    for pair in value:
        if not isinstance(pair, list) or len(pair) != 2 or any(_number(v) is None for v in pair):
            raise _Invalid(field_name, expected)
        start, end = float(pair[0]), float(pair[1])
        if start < 0 or start > end:
            raise _Invalid(field_name, f"span {_show(pair)} needs 0 <= start <= end (seconds)")
        spans.append([start, end])
    return spans


def _normalise(task: Task) -> None:
    """Validate ``task`` in place, normalising answer forms; raises :class:`_Invalid`."""
    for name in ("id", "video", "question"):
        value = getattr(task, name)
        if isinstance(value, int) and not isinstance(value, bool) and name == "id":
            value = task.id = str(value)
        if not isinstance(value, str) or not value.strip():
            raise _Invalid(name, f"expected a non-empty string, got {_show(value)}")
    if task.answer_type not in ANSWER_TYPES:
        raise _Invalid("answer_type", f"unknown {_show(task.answer_type)} (one of: {', '.join(ANSWER_TYPES)})")
    if task.options is not None:
        if not isinstance(task.options, list) or not all(isinstance(o, str) and o.strip() for o in task.options):
            raise _Invalid("options", f"expected a list of non-empty strings, got {_show(task.options)}")
        if not 2 <= len(task.options) <= len(LETTERS):
            raise _Invalid("options", f"expected 2 to {len(LETTERS)} options, got {len(task.options)}")
    kind, answer = task.answer_type, task.answer
    if kind == "choice":
        if task.options is None:
            raise _Invalid("options", 'required for answer_type "choice"')
        letters = LETTERS[: len(task.options)]
        if not isinstance(answer, str) or answer.strip().upper() not in letters:
            raise _Invalid(
                "answer", f'expected an option letter {letters[0]}-{letters[-1]} for answer_type "choice", got {_show(answer)}'
            )
        task.answer = answer.strip().upper()
    elif kind == "number":
        if _number(answer) is None:
            raise _Invalid("answer", f'expected a finite number for answer_type "number", got {_show(answer)}')
        task.answer = float(answer)
    elif kind == "text":
        texts = answer if isinstance(answer, list) else [answer]
        if not texts or not all(isinstance(t, str) and t.strip() for t in texts):
            raise _Invalid(
                "answer", f'expected a non-empty string (or a list of them) for answer_type "text", got {_show(answer)}'
            )
    elif kind == "span":
        task.answer = _spans(answer, "answer", "span")
    elif kind == "box":
        if not isinstance(answer, list) or len(answer) != 4 or any(_number(v) is None for v in answer):
            raise _Invalid("answer", f'expected [x1, y1, x2, y2] for answer_type "box", got {_show(answer)}')
        x1, y1, x2, y2 = (float(v) for v in answer)
        if not all(0.0 <= v <= 1.0 for v in (x1, y1, x2, y2)):
            raise _Invalid("answer", f"box {_show(answer)} must be normalised to 0..1")
        if x1 >= x2 or y1 >= y2:
            raise _Invalid("answer", f"box {_show(answer)} is empty or inverted (needs x1 < x2 and y1 < y2)")
        task.answer = [x1, y1, x2, y2]
    if task.evidence is not None:
        task.evidence = _spans(task.evidence, "evidence")
    if not isinstance(task.metadata, dict):
        raise _Invalid("metadata", f"expected a JSON object, got {_show(task.metadata)}")
    if task.reward is not None:
        if not isinstance(task.reward, str):
            raise _Invalid("reward", f"expected a reward spec string, got {_show(task.reward)}")
        try:
            RewardSpec.parse(task.reward)
        except ConfigError as exc:
            raise _Invalid("reward", str(exc)) from None


def load_tasks(path: str | os.PathLike[str], *, check_videos: bool = False) -> list[Task]:
    """Read and validate a JSONL task file.

    Relative ``video`` paths resolve against the file's folder. With ``check_videos`` a missing
    video file is an error too. Raises :class:`ConfigError` ``"<file>:<line>: field "<name>": ..."``.
    """
    path = Path(path)
    try:
        lines = path.read_text(encoding="utf-8").splitlines()
    except OSError as exc:
        raise ConfigError(f"{path}: cannot read task file ({exc.strerror or exc})") from None
    except UnicodeDecodeError as exc:
        raise ConfigError(f"{path}: not UTF-8 text ({exc.reason} at byte {exc.start})") from None
    tasks: list[Task] = []
    seen: dict[str, int] = {}
    for number, line in enumerate(lines, start=1):
        if not line.strip():
            continue
        try:
            data = json.loads(line)
        except (json.JSONDecodeError, RecursionError) as exc:
            raise ConfigError(f"{path}:{number}: not valid JSON ({getattr(exc, 'msg', exc)})") from None
        try:
            task = _from_dict(data)
        except ConfigError as exc:
            raise ConfigError(f"{path}:{number}: {exc}") from None
        if task.id in seen:
            raise ConfigError(f'{path}:{number}: field "id": duplicate id {_show(task.id)} (first on line {seen[task.id]})')
        seen[task.id] = number
        video = Path(task.video).expanduser()
        task.video = str(video if video.is_absolute() else (path.parent / video).resolve())
        if check_videos and not Path(task.video).is_file():
            raise ConfigError(f'{path}:{number}: field "video": no such file {task.video}')
        tasks.append(task)
    return tasks


def save_tasks(tasks: Iterable[Task], path: str | os.PathLike[str]) -> Path:
    """Write ``tasks`` as JSONL atomically (a temp file renamed over ``path``).

    Videos inside the file's folder are written relative to it, so the folder can be moved.
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    folder = path.parent.resolve()

    def line(task: Task) -> str:
        data = task.to_dict()
        video = Path(task.video)
        if video.is_absolute() and video.resolve().is_relative_to(folder):
            data["video"] = video.resolve().relative_to(folder).as_posix()
        return json.dumps(data, ensure_ascii=False) + "\n"

    return write_lines_atomic(path, (line(task) for task in tasks))
