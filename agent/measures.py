"""What a trajectory shows on its own, with no ground truth: its answer, protocol share and cost.

A trajectory is an :class:`~vagent.agent.episode.EpisodeState`, its dict, or a bare model
completion (text, read with :func:`~vagent.agent.protocol.parse_action`). These are the rewards
that need no task (``task`` is accepted and ignored, so they plug into
:data:`vagent.env.rewards.REWARDS`) and the verifiers of test-time scaling
(:data:`VERIFIERS`).

>>> format_reward("<think>blue</think><answer>B</answer>"), tool_calls({"steps": [{"calls": [{}, {}]}]})
(1.0, -2.0)
"""

from __future__ import annotations

import json
from collections.abc import Callable, Mapping
from dataclasses import is_dataclass
from typing import Any

from vagent.agent.protocol import parse_action


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


GUESS_MARK = "(This answer is a guess.)"
"""Ends the final think text of an answer the evidence did not decide (the scripted policy writes it)."""


def guessed(trajectory: Any) -> bool:
    """Whether the final turn says its answer is a guess (:data:`GUESS_MARK`).

    >>> guessed("<think>No option shows. (This answer is a guess.)</think><answer>C</answer>"), guessed("<answer>B</answer>")
    (True, False)
    """
    steps = _state(trajectory).get("steps") or []
    think = ((steps[-1].get("action") or {}).get("think") if steps else None) or ""
    return GUESS_MARK in think


def _calls(state: Mapping[str, Any]) -> list[dict[str, Any]]:
    return [call for step in state.get("steps") or [] for call in step.get("calls") or []]


def format_reward(trajectory: Any, task: Any = None) -> float:
    """Share of turns that followed the protocol, if the episode ended in an answer; else 0."""
    state = _state(trajectory)
    if final_answer(state) is None:
        return 0.0
    kinds = [(step.get("action") or {}).get("kind") for step in state.get("steps") or []]
    if not kinds:  # a state without step records: read its assistant messages
        texts = [m.get("content") for m in state.get("messages") or [] if m.get("role") == "assistant"]
        kinds = [parse_action(t if isinstance(t, str) else "").kind for t in texts]
    return sum(kind != "invalid" for kind in kinds) / len(kinds) if kinds else 1.0


def tool_cost(trajectory: Any, task: Any = None, per_call: float = 1.0, per_frame: float = 0.1) -> float:
    """``-(per_call * tool calls + per_frame * frames shown)``; 0 or negative."""
    state = _state(trajectory)
    calls = state.get("tool_calls")
    calls = calls if isinstance(calls, int) else len(_calls(state))
    frames = state.get("frames_shown")
    frames = frames if isinstance(frames, int) else sum(len(c.get("image_times") or []) for c in _calls(state))
    return -(per_call * calls + per_frame * frames)


def tool_calls(trajectory: Any, task: Any = None) -> float:
    """``-(number of tool calls)``."""
    return tool_cost(trajectory, task, per_call=1.0, per_frame=0.0)


def frames(trajectory: Any, task: Any = None) -> float:
    """``-(number of frames shown by tools)``."""
    return tool_cost(trajectory, task, per_call=0.0, per_frame=1.0)


def repeated_calls(trajectory: Any, task: Any = None) -> float:
    """``-(number of calls repeating an earlier call's tool and arguments)``."""
    seen, repeats = set(), 0
    for call in _calls(_state(trajectory)):
        key = (call.get("tool"), json.dumps(call.get("arguments"), sort_keys=True, default=str))
        repeats += key in seen
        seen.add(key)
    return -float(repeats)


VERIFIERS: dict[str, Callable[[Any], float]] = {
    "format": format_reward,
    "tool_cost": tool_cost,
    "tool_calls": tool_calls,
    "frames": frames,
    "repeated_calls": repeated_calls,
}
"""Scorers that read only the trajectory: ``best_of_n`` can rank samples with them at test time."""
