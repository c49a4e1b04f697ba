"""Rewards: small plain functions ``reward(trajectory, task) -> float`` (see docs/rewards.md).

A trajectory is an :class:`~vagent.agent.episode.EpisodeState`, its dict, or a bare model
completion (text, read with :func:`~vagent.agent.protocol.parse_action`). Rewards compose with
weights through :class:`RewardSpec`. Reading and comparing answers is :mod:`vagent.answers`;
the rewards that need no task (format, cost) are :mod:`vagent.agent.measures`.

>>> spec = RewardSpec.parse("accuracy:1.0,format:0.2")
>>> from vagent.env.tasks import Task
>>> task = Task("q", "/v.mp4", "Which?", "choice", "B", ["red", "blue"])
>>> spec.score("<think>blue</think><answer>(B)</answer>", task)
(1.2, {'accuracy': 1.0, 'format': 1.0})
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping
from dataclasses import dataclass
from typing import Any, Protocol

from vagent.agent.measures import final_answer, format_reward, frames, repeated_calls, tool_calls, tool_cost
from vagent.answers import (
    box_iou,
    extract_choice,
    mean_relative_accuracy,
    normalize_text,
    parse_box,
    parse_number,
    parse_spans,
    temporal_iou,
    token_f1,
)
from vagent.errors import ConfigError



class GradedTask(Protocol):
    """What a reward reads of a task; :class:`vagent.env.tasks.Task` is one. Rewards never import the
    task module: it imports this one to check a task's own ``reward`` spec."""

    @property
    def answer_type(self) -> str: ...
    @property
    def answer(self) -> Any: ...
    @property
    def options(self) -> list[str] | None: ...
    @property
    def evidence(self) -> list[list[float]] | None: ...
    @property
    def metadata(self) -> dict[str, Any]: ...
    @property
    def reward(self) -> str | None: ...


Reward = Callable[[Any, GradedTask], float]


# ---------------------------------------------------------------- rewards


def accuracy(trajectory: Any, task: GradedTask) -> float:
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


def exact_match(trajectory: Any, task: GradedTask) -> float:
    """1 when the answer is exactly right, else 0: a number must equal the answer (no partial credit,
    unlike :func:`accuracy`'s mean relative accuracy), a span or box must overlap it with IoU >= 0.5;
    choices and text as :func:`accuracy`."""
    if task.answer_type == "number":
        pred = parse_number(final_answer(trajectory))
        return float(pred is not None and pred == float(task.answer))
    if task.answer_type in ("span", "box"):
        return float(accuracy(trajectory, task) >= 0.5)
    return accuracy(trajectory, task)


def text_f1(trajectory: Any, task: GradedTask) -> float:
    """Best token F1 against the acceptable answers (``text`` tasks; 0 for other types)."""
    answer = final_answer(trajectory)
    if task.answer_type != "text" or answer is None:
        return 0.0
    wanted = task.answer if isinstance(task.answer, list) else [task.answer]
    return max(token_f1(answer, t) for t in wanted)


def evidence_iou(trajectory: Any, task: GradedTask) -> float:
    """Temporal IoU of the spans written in the answer with ``task.evidence`` (0 without evidence)."""
    answer = final_answer(trajectory)
    return temporal_iou(parse_spans(answer), task.evidence) if task.evidence and answer else 0.0


REWARDS: dict[str, Reward] = {
    "accuracy": accuracy,
    "exact_match": exact_match,
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

    def score(self, trajectory: Any, task: GradedTask) -> tuple[float, dict[str, float]]:
        """``(total, {name: unweighted value})``; a non-finite component counts as 0."""
        components = {}
        for name in self.weights:
            value = float(REWARDS[name](trajectory, task))
            components[name] = value if math.isfinite(value) else 0.0
        total = sum(self.weights[name] * value for name, value in components.items())
        return total, components


DEFAULT_SPEC = RewardSpec.parse("default")


def task_spec(task: GradedTask, run_spec: "str | Mapping[str, float] | RewardSpec | None" = None) -> RewardSpec:
    """THE precedence rule, the same in every face (evaluation, collection, ``VideoEnv``, GRPO): a
    task's own ``reward`` spec, else the run's ``run_spec``, else :data:`DEFAULT_SPEC`."""
    return RewardSpec.parse(task.reward if task.reward else run_spec)


def score(trajectory: Any, task: GradedTask, run_spec: "str | Mapping[str, float] | RewardSpec | None" = None) -> tuple[float, dict[str, float]]:
    """``task_spec(task, run_spec).score(trajectory, task)``."""
    return task_spec(task, run_spec).score(trajectory, task)
