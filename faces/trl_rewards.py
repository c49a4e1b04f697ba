"""The TRL face's rewards: one TRL reward function per component of a :class:`RewardSpec`.

:func:`reward_funcs` gives one function per component (so TRL logs ``rewards/<name>/mean``),
each ``(completions, environments, **kwargs) -> list[float]``; the episode comes from each
:class:`~vagent.faces.trl_rollout.TRLRolloutEnv`, or (plain GRPO on text) the final answer is
read from the completion text with THE parser (:func:`~vagent.agent.protocol.parse_action`).
"""

from __future__ import annotations

import math
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from vagent.agent.episode import EpisodeState
from vagent.agent.messages import protocol_text
from vagent.env.rewards import REWARDS, RewardSpec, accuracy, task_spec
from vagent.env.tasks import Task
from vagent.errors import ConfigError
from vagent.faces.trl_dataset import task_from_row
from vagent.tools.registry import TOOL_NAMES

__all__ = ["check_task_specs", "reward_funcs", "reward_weights"]


def _rows(n: int, kwargs: dict[str, Any]) -> list[dict[str, Any]]:
    return [{k: v[i] for k, v in kwargs.items() if isinstance(v, list) and len(v) == n} for i in range(n)]


def _trajectories(completions: list[Any], environments: list[Any] | None, kwargs: dict[str, Any]) -> list[tuple[Any, Task]]:
    if environments is not None:
        return [(env._trajectory(c), env.task) for c, env in zip(completions, environments, strict=True)]
    # Without environments (plain GRPO on text completions): score the text against each row's task.
    texts = [c if isinstance(c, str) else "\n".join(protocol_text(m) for m in c if m.get("role") == "assistant")
             for c in completions]
    return [(text, task_from_row(row)) for text, row in zip(texts, _rows(len(completions), kwargs), strict=True)]


def _log_episodes(pairs: list[tuple[Any, Task]], log_metric: Callable[[str, float], None]) -> None:
    """Per-batch episode statistics (see docs/training.md, "Logged metrics")."""
    states = [s for s, _ in pairs if isinstance(s, EpisodeState)]
    scores = [accuracy(s, t) for s, t in pairs]
    log_metric("episode/accuracy", sum(scores) / len(scores))
    if not states:
        return
    n = len(states)
    log_metric("episode/answered", sum(s.answer is not None for s in states) / n)
    log_metric("episode/turns", sum(s.turns for s in states) / n)
    log_metric("episode/tool_calls", sum(s.tool_calls for s in states) / n)
    log_metric("episode/frames", sum(s.frames_shown for s in states) / n)
    invalid = [sum(st["action"]["kind"] == "invalid" for st in s.steps) for s in states]
    log_metric("episode/invalid_turns", sum(invalid) / n)
    per_tool: dict[str, int] = defaultdict(int)
    for s in states:
        for step in s.steps:
            for call in step["calls"]:
                per_tool[call["tool"]] += 1
    for name in TOOL_NAMES:
        log_metric(f"tools/{name}", per_tool[name] / n)
    by_family: dict[str, list[float]] = defaultdict(list)
    for (_, task), score in zip(pairs, scores):
        by_family[str(task.metadata.get("family", task.answer_type))].append(score)
    for family, values in by_family.items():
        log_metric(f"accuracy/{family}", sum(values) / len(values))


def _reward_func(name: str, run: RewardSpec, log: bool) -> Callable[..., list[float]]:
    reward, run_weight = REWARDS[name], run.weights[name]

    def func(completions: list[Any], environments: list[Any] | None = None, **kwargs: Any) -> list[float]:
        pairs = _trajectories(completions, environments, kwargs)
        log_metric = kwargs.get("log_metric")
        if log and callable(log_metric):
            _log_episodes(pairs, log_metric)
        values = []
        for state, task in pairs:
            value = float(reward(state, task))
            scale = task_spec(task, run).weights.get(name, 0.0) / run_weight if task.reward and run_weight else 1.0
            values.append(scale * value if math.isfinite(value) else 0.0)
        return values

    func.__name__ = func.__qualname__ = name
    func.__doc__ = f"TRL reward function for the ``{name}`` component (unweighted; see reward_weights)."
    return func


def reward_funcs(spec: str | RewardSpec | None = "default", log_episodes: bool = True) -> list[Callable[..., list[float]]]:
    """One TRL reward function per component of ``spec`` (named after it: ``rewards/<name>/mean``).

    Pass :func:`reward_weights` of the same spec as ``GRPOConfig.reward_weights``. With
    ``log_episodes`` the first function also logs episode statistics through TRL's ``log_metric``.
    A task with its own ``reward`` spec wins (``rewards.task_spec``): its component values are
    scaled by task weight / run weight, so the weighted total is the task spec's total (a component the
    run weighs 0 stays unscaled: it is out of the total either way, and :func:`check_task_specs` refuses
    task specs that need it).
    """
    spec = RewardSpec.parse(spec)
    return [_reward_func(name, spec, log_episodes and i == 0) for i, name in enumerate(spec.weights)]


def check_task_specs(tasks: list[Task], spec: str | RewardSpec | None) -> None:
    """Refuse tasks whose own reward spec the run's reward functions cannot express (see :func:`reward_funcs`)."""
    run = RewardSpec.parse(spec)
    for task in tasks:
        if task.reward:
            missing = [n for n, w in RewardSpec.parse(task.reward).weights.items() if w and not run.weights.get(n)]
            if missing:
                raise ConfigError(f"task {task.id}: its reward spec {task.reward!r} uses {', '.join(missing)}, which the run's "
                                  f"reward {str(run)!r} lacks or weighs 0; add them to reward (weight != 0)")


def reward_weights(spec: str | RewardSpec | None = "default") -> list[float]:
    """The weights of ``spec`` in :func:`reward_funcs` order."""
    return [float(w) for w in RewardSpec.parse(spec).weights.values()]
