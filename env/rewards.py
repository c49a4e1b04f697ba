"""Rewards: small plain functions ``reward(trajectory, task) -> float`` (see docs/rewards.md).

A trajectory is an :class:`~vagent.agent.episode.EpisodeState`, its dict, or a bare model
completion (text, read with :func:`~vagent.agent.protocol.parse_action`). Rewards compose with
weights through :class:`RewardSpec`; the pure parsing and scoring helpers never raise.

>>> spec = RewardSpec.parse("accuracy:1.0,format:0.2")
>>> from vagent.env.tasks import Task
>>> task = Task("q", "/v.mp4", "Which?", "choice", "B", ["red", "blue"])
>>> spec.score("<think>blue</think><answer>(B)</answer>", task)
(1.2, {'accuracy': 1.0, 'format': 1.0})
"""

from __future__ import annotations

import json
import math
import re
import string
from collections.abc import Callable, Mapping
from dataclasses import dataclass, is_dataclass
from typing import Any

from vagent.agent.protocol import parse_action
from vagent.env.tasks import LETTERS, Task
from vagent.errors import ConfigError

Reward = Callable[[Any, Task], float]
MRA_THRESHOLDS: tuple[float, ...] = tuple(round(0.50 + 0.05 * i, 2) for i in range(10))
"""VSI-Bench confidence thresholds 0.50, 0.55, ..., 0.95."""

# ---------------------------------------------------------------- pure helpers

_LETTER_PREFIX = re.compile(r"^\s*[\(\[]?([A-Za-z])[\)\]\.:]\s*")
_CUE = re.compile(r"\b(?:answer|option|choice)\b\s*(?:is|would be|:|=)?\s*[\(\[]?([A-Za-z])(?![A-Za-z])(?:[\)\]\.:,]|\s*$)?")
_NUMBER = re.compile(r"[-+]?(?:\d{1,3}(?:,\d{3})+|\d+)(?:\.\d+)?(?:[eE][-+]?\d{1,3})?|[-+]?\.\d+")
_WORDS = "zero one two three four five six seven eight nine ten eleven twelve thirteen fourteen fifteen sixteen seventeen eighteen nineteen twenty".split()
# the unit's optional space lives inside its optional group: two adjacent \s* made spans quadratic
_TIME = r"(?<![\d.:])(\d{1,6}(?::\d{1,2}){0,2}(?:\.\d+)?)(?:\s*(?:s|secs?|seconds?))?"
_SPAN = re.compile(_TIME + r"\s*(?:,|-|–|—|~|\bto\b|\band\b|\buntil\b)\s*" + _TIME, re.I)
_ARTICLES = re.compile(r"\b(?:a|an|the)\b")


def _finite(value: float) -> float | None:
    return value if math.isfinite(value) else None


def _strip_letter(option: str) -> str:
    return _LETTER_PREFIX.sub("", option, count=1) if re.match(r"^\s*[\(\[]?[A-Z][\)\]\.:]\s", option + " ") else option


def normalize_text(text: str) -> str:
    """Lowercase, drop punctuation and articles, collapse spaces.

    >>> normalize_text("The  Red car!")
    'red car'
    """
    text = str(text).lower().translate(str.maketrans({c: " " for c in string.punctuation}))
    return " ".join(_ARTICLES.sub(" ", text).split())


def extract_choice(text: str | None, options: list[str] | None = None) -> str | None:
    """The option letter a free-form answer picks, or ``None``.

    >>> [extract_choice(t, ["red", "blue", "green"]) for t in ["B", "(B)", "B) blue", "b. blue"]]
    ['B', 'B', 'B', 'B']
    >>> extract_choice("The answer is C", ["x", "y", "z"]), extract_choice("answer: b", ["x", "y"])
    ('C', 'B')
    >>> extract_choice("I think it is green.", ["red", "blue", "green"])
    'C'
    >>> extract_choice("D", ["red", "blue"]) is None
    True
    """
    if not isinstance(text, str) or not text.strip():
        return None
    letters = LETTERS[: len(options)] if options else LETTERS
    bare = text.strip().strip("()[]{}.:*\"' ")
    if len(bare) == 1 and bare.upper() in letters:
        return bare.upper()
    leading = _LETTER_PREFIX.match(text)
    if leading and leading.group(1).upper() in letters:
        return leading.group(1).upper()
    for cue in _CUE.finditer(text):
        letter, closed = cue.group(1), cue.group(0)[-1:] in ")].:," or cue.end() == len(text.rstrip())
        if letter.upper() in letters and (letter.isupper() or closed):
            return letter.upper()
    if options:
        said = f" {normalize_text(text)} "
        found = {}
        for letter, option in zip(letters, options):
            wanted = normalize_text(_strip_letter(option))
            if wanted and said.strip() == wanted:
                return letter
            if wanted and f" {wanted} " in said:
                found[letter] = wanted
        kept = [k for k, v in found.items() if not any(v != w and v in w for w in found.values())]
        if len(kept) == 1:
            return kept[0]
    standalone = {  # single capitals, except "A"/"I" used as words ("A dog", "I think")
        m.group(1) for m in re.finditer(r"(?<![\w'])([A-Z])(?![\w'])", text)
        if m.group(1) not in "AI" or not re.match(r" [a-z]", text[m.end():])
    }
    standalone &= set(letters)
    return standalone.pop() if len(standalone) == 1 else None


def parse_number(text: str | None) -> float | None:
    """The first number in ``text`` (digits, ``1,234``, ``3.5e2`` or a word up to twenty).

    >>> parse_number("about 1,250.5 cm"), parse_number("three chairs"), parse_number("none")
    (1250.5, 3.0, None)
    """
    if not isinstance(text, str):
        return None
    match = _NUMBER.search(text)
    if match:
        return _finite(float(match.group(0).replace(",", "")))
    for word in re.findall(r"[a-z]+", text.lower()):
        if word in _WORDS:
            return float(_WORDS.index(word))
    return None


def _seconds(token: str) -> float | None:
    value = 0.0
    for part in token.split(":"):
        value = value * 60 + float(part)
    return _finite(value)


def parse_spans(text: str | None) -> list[tuple[float, float]]:
    """All ``(start, end)`` intervals in seconds written in ``text`` (each pair sorted).

    >>> parse_spans("[12.0, 15.5]"), parse_spans("12.0-15.5"), parse_spans("from 12s to 15.5s")
    ([(12.0, 15.5)], [(12.0, 15.5)], [(12.0, 15.5)])
    >>> parse_spans("[[0, 2], [4, 6]]"), parse_spans("01:05 - 01:10")
    ([(0.0, 2.0), (4.0, 6.0)], [(65.0, 70.0)])
    """
    if not isinstance(text, str):
        return []
    spans = []
    for match in _SPAN.finditer(text):
        start, end = _seconds(match.group(1)), _seconds(match.group(2))
        if start is not None and end is not None:
            spans.append((min(start, end), max(start, end)))
    return spans


def parse_box(text: str | None) -> tuple[float, float, float, float] | None:
    """The first four numbers as a normalised ``(x1, y1, x2, y2)`` box, or ``None``.

    Values must lie in 0..1; the corners are sorted per axis.

    >>> parse_box("[0.1, 0.2, 0.5, 0.6]"), parse_box("[10, 20, 50, 60]")
    ((0.1, 0.2, 0.5, 0.6), None)
    """
    if not isinstance(text, str):
        return None
    values = [_finite(float(v)) for v in _NUMBER.findall(text.replace(",", " , "))[:4]]
    if len(values) < 4 or any(v is None or not 0.0 <= v <= 1.0 for v in values):
        return None
    x1, y1, x2, y2 = values
    return (min(x1, x2), min(y1, y2), max(x1, x2), max(y1, y2))


def merge_spans(spans: Any) -> list[tuple[float, float]]:
    """Overlapping or touching ``(start, end)`` spans merged into their union, sorted (each pair sorted first)."""
    merged: list[list[float]] = []
    for start, end in sorted((min(s, e), max(s, e)) for s, e in spans):
        if merged and start <= merged[-1][1]:
            merged[-1][1] = max(merged[-1][1], end)
        else:
            merged.append([start, end])
    return [(s, e) for s, e in merged]


def temporal_iou(pred_spans: Any, gt_spans: Any) -> float:
    """IoU of the union of predicted intervals with the union of ground-truth intervals.

    >>> temporal_iou([[0, 2], [4, 6]], [[1, 5]])  # intersection 2, union 6
    0.3333333333333333
    >>> temporal_iou([(3, 5)], [(3, 5)]), temporal_iou([], [(1, 2)])
    (1.0, 0.0)
    """
    try:
        pred, gt = merge_spans(pred_spans or []), merge_spans(gt_spans or [])
    except (TypeError, ValueError):
        return 0.0
    inter, i, j = 0.0, 0, 0
    while i < len(pred) and j < len(gt):
        inter += max(0.0, min(pred[i][1], gt[j][1]) - max(pred[i][0], gt[j][0]))
        if pred[i][1] < gt[j][1]:
            i += 1
        else:
            j += 1
    union = sum(e - s for s, e in pred) + sum(e - s for s, e in gt) - inter
    return (_finite(inter / union) or 0.0) if union > 0 else 0.0


def box_iou(a: Any, b: Any) -> float:
    """IoU of two ``(x1, y1, x2, y2)`` boxes; 0 for empty or missing boxes.

    >>> box_iou((0, 0, 0.5, 0.5), (0.25, 0.25, 0.75, 0.75))  # 0.0625 / 0.4375
    0.14285714285714285
    """
    if a is None or b is None:
        return 0.0
    ax1, ay1, ax2, ay2 = a
    bx1, by1, bx2, by2 = b
    inter = max(0.0, min(ax2, bx2) - max(ax1, bx1)) * max(0.0, min(ay2, by2) - max(ay1, by1))
    union = max(0.0, ax2 - ax1) * max(0.0, ay2 - ay1) + max(0.0, bx2 - bx1) * max(0.0, by2 - by1) - inter
    return (_finite(inter / union) or 0.0) if union > 0 else 0.0


def mean_relative_accuracy(pred: float | None, gt: float) -> float:
    """VSI-Bench MRA: the share of thresholds θ in 0.50:0.95:0.05 with ``|pred-gt|/|gt| <= 1-θ``.

    >>> mean_relative_accuracy(11, 10), mean_relative_accuracy(10, 10), mean_relative_accuracy(30, 10)
    (0.9, 1.0, 0.0)
    """
    if pred is None or not math.isfinite(pred) or not math.isfinite(gt):
        return 0.0
    error = abs(pred - gt) / abs(gt) if gt else (0.0 if pred == gt else math.inf)
    return sum(error <= round(1 - t, 10) for t in MRA_THRESHOLDS) / len(MRA_THRESHOLDS)


def token_f1(pred: str | None, gt: str) -> float:
    """SQuAD-style token F1 of normalised texts.

    >>> token_f1("a red car", "the red truck")
    0.5
    """
    pred_tokens, gt_tokens = normalize_text(pred or "").split(), normalize_text(gt).split()
    common = sum(min(pred_tokens.count(t), gt_tokens.count(t)) for t in set(pred_tokens))
    if not common:
        return 0.0
    precision, recall = common / len(pred_tokens), common / len(gt_tokens)
    return 2 * precision * recall / (precision + recall)


# ---------------------------------------------------------------- trajectories


def _state(trajectory: Any) -> dict[str, Any]:
    if isinstance(trajectory, str):
        action = parse_action(trajectory)
        return {"answer": action.answer, "steps": [{"action": action.to_dict(), "calls": []}]}
    if is_dataclass(trajectory) and not isinstance(trajectory, type):
        return vars(trajectory)  # shallow: no copy of the (image-heavy) messages
    return trajectory if isinstance(trajectory, Mapping) else {}


def final_answer(trajectory: Any) -> str | None:
    """The trajectory's final answer text (``None`` when it never answered)."""
    answer = _state(trajectory).get("answer")
    return answer if isinstance(answer, str) else None


def _calls(state: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [call for step in state.get("steps") or [] for call in step.get("calls") or []]


# ---------------------------------------------------------------- rewards


def accuracy(trajectory: Any, task: Task) -> float:
    """Answer correctness in [0, 1], by ``task.answer_type`` (see docs/rewards.md)."""
    answer = final_answer(trajectory)
    if answer is None:
        return 0.0
    kind = task.answer_type
    if kind == "choice":
        return float(extract_choice(answer, task.options) == task.answer)
    if kind == "number":
        pred = parse_number(answer)
        tolerance = task.metadata.get("tolerance")
        if isinstance(tolerance, (int, float)) and pred is not None:
            return float(abs(pred - task.answer) <= abs(tolerance) * max(abs(task.answer), 1e-9))
        return mean_relative_accuracy(pred, task.answer)
    if kind == "text":
        wanted = task.answer if isinstance(task.answer, list) else [task.answer]
        return float(normalize_text(answer) in {normalize_text(t) for t in wanted})
    if kind == "span":
        return temporal_iou(parse_spans(answer), task.answer)
    if kind == "box":
        return box_iou(parse_box(answer), task.answer)
    return 0.0


def text_f1(trajectory: Any, task: Task) -> float:
    """Best token F1 against the acceptable answers (``text`` tasks; 0 for other types)."""
    answer = final_answer(trajectory)
    if task.answer_type != "text" or answer is None:
        return 0.0
    wanted = task.answer if isinstance(task.answer, list) else [task.answer]
    return max(token_f1(answer, t) for t in wanted)


def evidence_iou(trajectory: Any, task: Task) -> float:
    """Temporal IoU of the spans written in the answer with ``task.evidence`` (0 without evidence)."""
    answer = final_answer(trajectory)
    return temporal_iou(parse_spans(answer), task.evidence) if task.evidence and answer else 0.0


def format_reward(trajectory: Any, task: Task) -> float:
    """Share of turns that followed the protocol, if the episode ended in an answer; else 0."""
    state = _state(trajectory)
    if final_answer(state) is None:
        return 0.0
    kinds = [(step.get("action") or {}).get("kind") for step in state.get("steps") or []]
    if not kinds:  # a state without step records: read its assistant messages
        texts = [m.get("content") for m in state.get("messages") or [] if m.get("role") == "assistant"]
        kinds = [parse_action(t if isinstance(t, str) else "").kind for t in texts]
    return sum(kind != "invalid" for kind in kinds) / len(kinds) if kinds else 1.0


def tool_cost(trajectory: Any, task: Task, per_call: float = 1.0, per_frame: float = 0.1) -> float:
    """``-(per_call * tool calls + per_frame * frames shown)``; 0 or negative."""
    state = _state(trajectory)
    calls = state.get("tool_calls")
    calls = calls if isinstance(calls, int) else len(_calls(state))
    frames = state.get("frames_shown")
    frames = frames if isinstance(frames, int) else sum(len(c.get("image_times") or []) for c in _calls(state))
    return -(per_call * calls + per_frame * frames)


def tool_calls(trajectory: Any, task: Task) -> float:
    """``-(number of tool calls)``."""
    return tool_cost(trajectory, task, per_call=1.0, per_frame=0.0)


def frames(trajectory: Any, task: Task) -> float:
    """``-(number of frames shown by tools)``."""
    return tool_cost(trajectory, task, per_call=0.0, per_frame=1.0)


def repeated_calls(trajectory: Any, task: Task) -> float:
    """``-(number of calls repeating an earlier call's tool and arguments)``."""
    seen, repeats = set(), 0
    for call in _calls(_state(trajectory)):
        key = (call.get("tool"), json.dumps(call.get("arguments"), sort_keys=True, default=str))
        repeats += key in seen
        seen.add(key)
    return -float(repeats)


REWARDS: dict[str, Reward] = {
    "accuracy": accuracy,
    "text_f1": text_f1,
    "evidence_iou": evidence_iou,
    "format": format_reward,
    "tool_cost": tool_cost,
    "tool_calls": tool_calls,
    "frames": frames,
    "repeated_calls": repeated_calls,
}
"""Every reward by name, as used in spec strings."""

PRESETS: dict[str, dict[str, float]] = {
    "default": {"accuracy": 1.0, "format": 0.2, "tool_cost": 0.02, "repeated_calls": 0.1},
    "accuracy_only": {"accuracy": 1.0},
    "grounding": {"accuracy": 1.0, "evidence_iou": 0.5, "format": 0.2, "tool_cost": 0.02, "repeated_calls": 0.1},
}


@dataclass(frozen=True)
class RewardSpec:
    """Weights by reward name; the total is ``sum(weight * reward(trajectory, task))``."""

    weights: Mapping[str, float]

    def __post_init__(self) -> None:
        for name, weight in self.weights.items():
            if name not in REWARDS:
                raise ConfigError(f'unknown reward "{name}" (available: {", ".join(REWARDS)})')
            if isinstance(weight, bool) or not isinstance(weight, (int, float)) or not math.isfinite(weight):
                raise ConfigError(f'weight of reward "{name}" must be a finite number, got {weight!r}')

    @classmethod
    def parse(cls, spec: "str | Mapping[str, float] | RewardSpec | None") -> "RewardSpec":
        """From a preset name, ``"name:weight,name:weight"`` (a bare name weighs 1), a dict or ``None`` (default).

        >>> RewardSpec.parse("accuracy, format:0.2").weights
        {'accuracy': 1.0, 'format': 0.2}
        """
        if spec is None:
            return cls(dict(PRESETS["default"]))
        if isinstance(spec, RewardSpec):
            return spec
        if isinstance(spec, Mapping):
            return cls(dict(spec))
        if not isinstance(spec, str) or not spec.strip():
            raise ConfigError(f"reward spec must be a preset name or 'name:weight,...', got {spec!r}")
        if spec.strip() in PRESETS:
            return cls(dict(PRESETS[spec.strip()]))
        weights: dict[str, float] = {}
        for item in spec.split(","):
            name, _, weight = item.partition(":")
            name = name.strip()
            try:
                weights[name] = float(weight) if weight.strip() else 1.0
            except ValueError:
                raise ConfigError(f'reward spec "{spec}": weight of "{name}" is not a number: "{weight.strip()}"') from None
            if name not in REWARDS:
                raise ConfigError(
                    f'reward spec "{spec}": unknown reward "{name}" '
                    f'(rewards: {", ".join(REWARDS)}; presets: {", ".join(PRESETS)})'
                )
        return cls(weights)

    def __str__(self) -> str:
        return ",".join(f"{name}:{weight:g}" for name, weight in self.weights.items())

    def score(self, trajectory: Any, task: Task) -> tuple[float, dict[str, float]]:
        """``(total, {name: unweighted value})``; a non-finite component counts as 0."""
        components = {}
        for name in self.weights:
            value = float(REWARDS[name](trajectory, task))
            components[name] = value if math.isfinite(value) else 0.0
        total = sum(self.weights[name] * value for name, value in components.items())
        return total, components


DEFAULT_SPEC = RewardSpec.parse("default")


def task_spec(task: Task, run_spec: "str | Mapping[str, float] | RewardSpec | None" = None) -> RewardSpec:
    """THE precedence rule, the same in every face (evaluation, collection, ``VideoEnv``, GRPO): a
    task's own ``reward`` spec, else the run's ``run_spec``, else :data:`DEFAULT_SPEC`."""
    return RewardSpec.parse(task.reward if task.reward else run_spec)


def score(trajectory: Any, task: Task, run_spec: "str | Mapping[str, float] | RewardSpec | None" = None) -> tuple[float, dict[str, float]]:
    """``task_spec(task, run_spec).score(trajectory, task)``."""
    return task_spec(task, run_spec).score(trajectory, task)
