"""Does a trajectory's final reasoning support the answer it gives?

SFT imitates every token of a kept trajectory, the think text included. A final turn whose
``<think>`` names one option, number, span or box and whose ``<answer>`` gives another teaches the
model that its reasoning and its answer are unrelated, so the collector drops such trajectories
and counts them. "Names" means, by answer type:

- ``choice``: a letter written as ``option X`` / ``(X)`` / ``answer is X``;
- ``number``: a number stated as the conclusion (``answer is 4``, ``so 4``, ``I answer 4``);
- ``span`` / ``box``: every bracketed span or box, and ``from X to Y`` spans (the same span or box
  means IoU >= 0.9: the answer's own rounding is allowed, another region is not);
- ``text``: a quoted string, when none of the quoted strings is the answer.

>>> think_contradicts("option A matches the video best", "C", "choice")
'the think text names option A, the answer is C'
>>> think_contradicts("The text reads \\"RPYD\\".", "RPYD", "text") is None
True
"""

from __future__ import annotations

import re
from typing import Any

from vagent.agent.protocol import parse_action
from vagent.answers import box_iou, normalize_text, parse_box, parse_number, parse_spans, temporal_iou

__all__ = ["final_turn_contradiction", "think_contradicts"]

_LETTER = re.compile(r"\b(?i:option)\s+\(?([A-Z])\)?(?![a-z])|\(([A-Z])\)|\b(?i:answer)\s+(?:is\s+)?\(?([A-Z])\b\)?")
_NUMBER = r"(-?\d+(?:\.\d+)?)"
_CONCLUDED_NUMBER = re.compile(rf"\b(?:answer\s+(?:is\s+)?|so\s+(?:the\s+answer\s+is\s+)?|I\s+answer\s+|count\s+is\s+){_NUMBER}\b",
                               re.IGNORECASE)
_BRACKETED = re.compile(rf"\[\s*{_NUMBER}\s*,\s*{_NUMBER}(?:\s*,\s*{_NUMBER}\s*,\s*{_NUMBER})?\s*\]")
_FROM_TO = re.compile(rf"\bfrom\s+{_NUMBER}\s*s?\s+to\s+{_NUMBER}\s*s?\b", re.IGNORECASE)
_QUOTED = re.compile(r'"([^"\n]{1,200})"')
SAME_REGION_IOU = 0.9


def think_contradicts(think: str, answer: str, answer_type: str) -> str | None:
    """Why ``think`` names another answer than ``answer`` (``None``: it does not)."""
    if answer_type == "choice":
        letter = answer.strip().strip("()").upper()[:1]
        named = {next(g for g in m.groups() if g) for m in _LETTER.finditer(think)}
        other = sorted(named - {letter})
        return f"the think text names option {', '.join(other)}, the answer is {answer}" if other else None
    if answer_type == "number":
        value = parse_number(answer)
        named = {float(m.group(1)) for m in _CONCLUDED_NUMBER.finditer(think)}
        other = sorted(n for n in named if value is None or abs(n - value) > 1e-6)
        return f"the think text concludes {other[0]:g}, the answer is {answer}" if other else None
    if answer_type in ("span", "box"):
        return _region_contradiction(think, answer, answer_type)
    if answer_type == "text":
        quoted = [normalize_text(q) for q in _QUOTED.findall(think)]
        if quoted and normalize_text(answer) not in quoted:
            return f"the think text quotes {quoted[0]!r}, the answer is {answer!r}"
    return None


def _region_contradiction(think: str, answer: str, answer_type: str) -> str | None:
    if answer_type == "span":
        mine = parse_spans(answer)
        named = [(float(m[0]), float(m[1])) for m in _BRACKETED.findall(think) if not m[2]]
        named += [(float(a), float(b)) for a, b in _FROM_TO.findall(think)]
        for span in named:
            if not mine or temporal_iou([span], mine) < SAME_REGION_IOU:
                return f"the think text names the span [{span[0]:g}, {span[1]:g}], the answer is {answer}"
        return None
    box = parse_box(answer)
    for m in _BRACKETED.findall(think):
        if m[2]:
            named_box = [float(v) for v in m]
            if box is None or box_iou(named_box, list(box)) < SAME_REGION_IOU:
                return f"the think text names the box {named_box}, the answer is {answer}"
    return None


def final_turn_contradiction(state: Any, answer_type: str) -> str | None:
    """:func:`think_contradicts` on the last assistant turn of an episode (``None`` when it has no answer)."""
    if state.answer is None:
        return None
    texts = [m["content"] for m in state.messages if m["role"] == "assistant" and isinstance(m["content"], str)]
    if not texts:
        return None
    action = parse_action(texts[-1])
    return think_contradicts(action.think or "", state.answer, answer_type)
