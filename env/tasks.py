"""The task format: one JSON object per line (see docs/tasks.md)."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any, Literal

AnswerType = Literal["choice", "number", "text", "span", "box"]
ANSWER_TYPES: tuple[str, ...] = ("choice", "number", "text", "span", "box")


@dataclass
class Task:
    """A question about a video with a verifiable answer.

    ``answer`` by ``answer_type``: ``choice`` a letter ("B"); ``number`` a float; ``text`` a
    short string; ``span`` a list of ``[start, end]`` intervals in seconds; ``box`` a
    normalised ``[x1, y1, x2, y2]`` (at ``metadata["time"]`` when the box is for one moment).
    """

    id: str
    video: str
    question: str
    answer_type: AnswerType
    answer: Any
    options: list[str] | None = None
    evidence: list[list[float]] | None = None
    """Time spans (seconds) where the answer can be seen, when known."""
    metadata: dict[str, Any] = field(default_factory=dict)
