"""Test-time scaling: many trajectories over the same graph, combined into one answer.

Strategies (``ScalingConfig.strategy``):

- ``single``: one trajectory.
- ``self_consistency``: ``samples`` independent trajectories, majority vote over normalised
  answers (option letters, numbers, spans and boxes merged by overlap, normalised text).
- ``best_of_n``: ``samples`` trajectories, each scored by a verifier that sees its evidence
  (a reward function by name, or ``judge``: the policy asked whether the evidence supports
  the answer); the best is kept.
- ``adaptive``: rounds of ``round_size`` trajectories until ``agree`` of them agree or
  ``samples`` is reached (Video-RTS style); with ``grow_frames`` the frame budget and the
  overview frames double every round.

Every result reports its cost (trajectories, tool calls, frames, tokens, seconds).
"""

from __future__ import annotations

import time
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from typing import Any, Literal

from vagent.agent.episode import Budget, Episode, EpisodeState
from vagent.agent.graph import run_episode
from vagent.agent.policy import Policy
from vagent.agent.protocol import parse_action
from vagent.agent.measures import VERIFIERS as MEASURES
from vagent.answers import Vote, normalize_text, vote

Strategy = Literal["single", "self_consistency", "best_of_n", "adaptive"]
STRATEGIES: tuple[str, ...] = ("single", "self_consistency", "best_of_n", "adaptive")
VERIFIERS: tuple[str, ...] = (*MEASURES, "judge")
"""Verifiers need no ground truth: rewards that read only the trajectory, or the judge."""
@dataclass
class ScalingConfig:
    """How much inference compute to spend on one question, and how to combine it."""

    strategy: Strategy = "single"
    samples: int = 1
    """Trajectories to sample (the maximum, for ``adaptive``)."""
    verifier: str = "format"
    """``best_of_n`` scorer, one of :data:`VERIFIERS`: a reward that needs no ground truth, or
    ``judge`` (the policy is asked whether the trajectory's evidence supports its answer)."""
    agree: int = 2
    """``adaptive``: stop once this many trajectories agree."""
    round_size: int = 1
    """``adaptive``: trajectories sampled per round."""
    grow_frames: bool = False
    """``adaptive``: double the frame budget and overview frames each round."""
    parallel: int = 8
    """Trajectories sampled at once when the policy takes concurrent requests (``concurrent =
    True``, e.g. an OpenAI-compatible server, which batches them); other policies sample one
    after another. Tool calls from parallel trajectories run at once when the episodes' tools run
    in tool workers (``EnvConfig.tool_workers``: evaluation does so), else take turns on the
    shared decoder."""

    def __post_init__(self) -> None:
        if self.strategy not in STRATEGIES:
            raise ValueError(f"unknown strategy {self.strategy!r}; choose one of {', '.join(STRATEGIES)}")
        if min(self.samples, self.agree, self.round_size, self.parallel) < 1:
            raise ValueError(
                f"samples, agree, round_size and parallel must be >= 1 "
                f"(got {self.samples}, {self.agree}, {self.round_size}, {self.parallel})"
            )
        if self.verifier not in VERIFIERS:
            raise ValueError(f"unknown verifier {self.verifier!r}; choose one of {', '.join(VERIFIERS)}")


@dataclass
class ScaledAnswer:
    """The combined answer, every trajectory, the vote and the cost."""

    answer: str | None
    strategy: str
    trajectories: list[EpisodeState]
    votes: list[Vote] = field(default_factory=list)
    chosen: int | None = None
    tie: bool = False
    scores: list[float] = field(default_factory=list)
    cost: dict[str, float] = field(default_factory=dict)

    def summary(self) -> dict[str, Any]:
        """Everything but the trajectories (for trace headers and result tables)."""
        data = asdict(self)
        data.pop("trajectories")
        return data


JUDGE_PROMPT = (
    "You check another model's work. Below are the tool results it saw while answering the question "
    "'{question}', and its final answer '{answer}'. Is the answer supported by this evidence? "
    "Reply with <answer>yes</answer> or <answer>no</answer>."
)


def judge(policy: Policy, trajectory: EpisodeState, max_images: int = 8) -> float:
    """The policy's verdict on a trajectory's evidence: 1 yes, 0 no, 0.5 unclear."""
    if trajectory.answer is None:
        return 0.0
    evidence: list[dict[str, Any]] = []
    for message in trajectory.messages:
        if message["role"] == "tool" and isinstance(message["content"], list):
            evidence.extend(message["content"])
    images = [i for i, block in enumerate(evidence) if block.get("type") == "image"]
    drop = set(images[:-max_images]) if len(images) > max_images else set()
    evidence = [block for i, block in enumerate(evidence) if i not in drop]
    prompt = JUDGE_PROMPT.format(question=trajectory.question, answer=trajectory.answer)
    messages = [{"role": "user", "content": evidence + [{"type": "text", "text": prompt}]}]
    try:
        verdict = parse_action(policy.generate(messages, []).text).answer or ""
    except Exception:  # a failing judge gives no information
        return 0.5
    verdict = normalize_text(verdict)
    return 1.0 if verdict.startswith("yes") else 0.0 if verdict.startswith("no") else 0.5


def _cost(trajectories: list[EpisodeState], seconds: float) -> dict[str, float]:
    steps = [step for t in trajectories for step in t.steps]
    return {
        "trajectories": len(trajectories),
        "tool_calls": sum(t.tool_calls for t in trajectories),
        "frames": sum(t.frames_shown for t in trajectories),
        "audio_seconds": round(sum(t.audio_seconds for t in trajectories), 3),
        "tokens": sum(s["prompt_tokens"] + s["completion_tokens"] for s in steps),
        "seconds": round(seconds, 3),
    }


def run_scaled(
    start: Callable[[Budget, int], Episode],
    policy: Policy,
    budget: Budget,
    config: ScalingConfig,
    on_update: Callable[[int, str, dict[str, Any]], None] | None = None,
) -> ScaledAnswer:
    """Sample trajectories per ``config`` and combine them.

    ``start(budget, overview_frames_scale)`` returns a fresh episode for one trajectory.
    """
    started = time.perf_counter()
    trajectories: list[EpisodeState] = []
    workers = config.parallel if getattr(policy, "concurrent", False) else 1

    def sample(count: int, round_budget: Budget, scale: int) -> None:
        """Run ``count`` more trajectories (at once where the policy allows), kept in index order."""
        first = len(trajectories)

        def one(index: int) -> EpisodeState:
            callback = (lambda node, update: on_update(index, node, update)) if on_update else None
            return run_episode(start(round_budget, scale), policy, on_update=callback)

        if workers > 1 and count > 1:
            with ThreadPoolExecutor(max_workers=min(workers, count)) as pool:
                trajectories.extend(pool.map(one, range(first, first + count)))
        else:
            trajectories.extend(one(index) for index in range(first, first + count))

    total = 1 if config.strategy == "single" else config.samples
    if config.strategy == "adaptive":
        round_number = 0
        while len(trajectories) < total:
            scale = 2**round_number if config.grow_frames else 1
            round_budget = replace(budget, max_frames=budget.max_frames * scale)
            sample(min(config.round_size, total - len(trajectories)), round_budget, scale)
            votes, _ = vote([t.answer for t in trajectories], trajectories[0].options)
            if votes and votes[0].count >= config.agree:
                break
            round_number += 1
    else:
        sample(total, budget, 1)

    options = trajectories[0].options
    votes, tie = vote([t.answer for t in trajectories], options)
    result = ScaledAnswer(answer=None, strategy=config.strategy, trajectories=trajectories, votes=votes, tie=tie)
    if config.strategy == "best_of_n":
        if config.verifier == "judge":
            result.scores = [judge(policy, t) for t in trajectories]
        else:
            measure = MEASURES[config.verifier]
            result.scores = [float(measure(t)) if t.answer is not None else float("-inf") for t in trajectories]
        best = max(range(len(trajectories)), key=lambda i: (result.scores[i], -i))
        result.chosen, result.answer = best, trajectories[best].answer
    elif votes:
        result.chosen, result.answer = votes[0].members[0], votes[0].answer
    result.cost = _cost(trajectories, time.perf_counter() - started)
    return result
