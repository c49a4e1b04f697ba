"""The TRL face of the environment: ``GRPOTrainer(environment_factory=...)`` and reward adapters.

TRL creates one :class:`VideoToolEnv` per rollout, calls ``reset(**row)`` with the dataset
columns of :func:`training_dataset` and exposes every other public method as a tool. Those
methods are derived from :class:`vagent.tools.registry.VideoTools` (same names, type hints and
docstrings, hence the same JSON schemas); they run through :class:`vagent.agent.episode.Episode`
(the code the LangGraph agent runs), so frame budgets apply and every call is recorded for the
tool-cost rewards. Images come back as PIL images in content blocks, which TRL feeds to the next
generation turn AND to the loss forward pass.

>>> from vagent.env.trl_env import make_environment_factory, reward_funcs, reward_weights
>>> trainer = GRPOTrainer(model, reward_funcs=reward_funcs("default"), train_dataset=training_dataset(tasks),
...     args=GRPOConfig(reward_weights=reward_weights("default"), ...),
...     environment_factory=make_environment_factory(EnvConfig()))  # doctest: +SKIP

Rewards: :func:`reward_funcs` gives one TRL reward function per component of a
:class:`~vagent.env.rewards.RewardSpec` (so TRL logs ``rewards/<name>/mean``), each
``(completions, environments, **kwargs) -> list[float]``; the final answer is read from the
completion text with THE parser (:func:`~vagent.agent.protocol.parse_action`).
"""

from __future__ import annotations

import functools
import inspect
import math
import time
import typing
from collections import defaultdict
from collections.abc import Callable
from typing import Any

from vagent.agent.episode import Episode, EpisodeState, budget_block
from vagent.agent.prompts import SYSTEM_INSTRUCTIONS
from vagent.agent.protocol import ToolCall, parse_action, render_tool_call
from vagent.env.environment import EnvConfig, tools_for
from vagent.env.rewards import REWARDS, RewardSpec, accuracy
from vagent.env.tasks import Task, task_from_row, tasks_to_dataset
from vagent.tools.registry import TOOL_NAMES, VideoTools
from vagent.types import Observation, block_image

__all__ = [
    "VideoToolEnv",
    "make_environment_factory",
    "reward_funcs",
    "reward_weights",
    "training_dataset",
    "trl_prompt",
]

Blocks = list[dict[str, Any]]


def trl_prompt(task: Task) -> list[dict[str, Any]]:
    """The ``prompt`` column for GRPO: the system instructions and an empty user turn.

    ``reset()`` fills the user turn with the question and the overview frames, so the rollout
    starts from exactly the messages :meth:`Episode.start` builds (the chat template renders the
    tool schemas itself, from the environment's methods).
    """
    return [{"role": "system", "content": SYSTEM_INSTRUCTIONS}, {"role": "user", "content": ""}]


def training_dataset(tasks: list[Task]) -> Any:
    """A :class:`datasets.Dataset` of ``tasks`` with the GRPO prompt (:func:`trl_prompt`)."""
    return tasks_to_dataset(tasks, prompt=trl_prompt)


def pil_blocks(blocks: Blocks) -> Blocks:
    """Chat blocks with every image block as ``{"type": "image", "image": PIL.Image}`` (what TRL wants)."""
    return [{"type": "image", "image": block_image(b)} if b.get("type") == "image" else dict(b) for b in blocks]


def observation_blocks(observation: Observation) -> Blocks:
    """:meth:`Observation.content_blocks` with PIL images instead of data URLs (no JPEG round trip)."""
    return observation.content_blocks(as_pil=True)


def _text_only(blocks: Any) -> Any:
    """Message content with images replaced by a marker (trajectories kept for rewards stay small)."""
    if not isinstance(blocks, list):
        return blocks
    return [b if b.get("type") != "image" else {"type": "text", "text": "<image>"} for b in blocks]


def assistant_text(message: dict[str, Any]) -> str:
    """The model text of one assistant message as TRL parsed it (think + content + re-rendered tool calls)."""
    content = message.get("content") or ""
    if isinstance(content, list):
        content = "".join(b.get("text", "") for b in content if isinstance(b, dict))
    parts = [content] if content else []
    reasoning = message.get("reasoning_content")
    if reasoning and "<think>" not in content:  # TRL's response parser splits <think> off into reasoning_content
        parts.insert(0, f"<think>{reasoning}</think>")
    for call in message.get("tool_calls") or []:
        function = call.get("function", call)
        arguments = function.get("arguments") or {}
        parts.append(render_tool_call(ToolCall(str(function.get("name", "")), arguments if isinstance(arguments, dict) else {})))
    return "\n".join(parts)


class VideoToolEnv:
    """One rollout of the video tool loop for TRL's ``environment_factory``.

    Public methods are exactly the tools of :class:`VideoTools` (plus ``reset``); helpers are
    private so TRL does not expose them. After the rollout, :meth:`trajectory` turns TRL's
    completion messages into an :class:`EpisodeState` that every reward in
    :mod:`vagent.env.rewards` scores.
    """

    def __init__(self, config: EnvConfig | None = None):
        self.config = config or EnvConfig(include_schemas=False)
        self.task: Task | None = None
        self.episode: Episode | None = None
        self._calls: list[dict[str, Any]] = []
        self._cache: tuple[int, EpisodeState] | None = None
        self._budget_told = False

    def reset(self, **row: Any) -> Blocks:
        """Start an episode on the task in ``row``; returns the question and overview frames as blocks."""
        self.task = task_from_row(row)
        tools = tools_for(self.task.video, self.config.index)
        self.episode = Episode.start(
            tools,
            self.task.question,
            self.task.options,
            self.config.budget,
            overview_frames=self.config.overview_frames,
            include_schemas=False,
            task_id=self.task.id,
        )
        self._calls, self._cache, self._budget_told = [], None, False
        return pil_blocks(self.episode.state.messages[-1]["content"])

    def _call_tool(self, name: str, arguments: dict[str, Any]) -> Blocks:
        if self.episode is None:
            return [{"type": "text", "text": "ERROR: the environment was not reset"}]
        budget, state = self.episode.budget, self.episode.state
        if budget.max_seconds is not None and time.time() - state.started_at >= budget.max_seconds:
            observation = Observation.failure("The time budget is used up: no more tools can be called. Answer now.")
            self._calls.append({"tool": name, "arguments": arguments, "summary": observation.summary(),
                                "error": True, "seconds": 0.0, "image_times": []})
            return observation_blocks(observation)
        record: dict[str, Any] = {"calls": []}
        observation = self.episode.run_call(name, arguments, record)
        self._calls += record["calls"]
        blocks = observation_blocks(observation)
        reason = self.episode.exhausted()
        if reason in ("max_frames", "max_seconds") and not self._budget_told:
            # The same notice, in the same place, as Episode.step at inference and in SFT data: it ends
            # the tool result (TRL's tool loop has no user turns).
            self._budget_told = True
            blocks.append(budget_block(reason))
        return blocks

    def _trajectory(self, completion: list[dict[str, Any]]) -> EpisodeState:
        """The episode TRL ran, as an :class:`EpisodeState`: one step per assistant message."""
        if self.episode is None:
            raise RuntimeError("reset() was never called")
        if self._cache is not None and self._cache[0] == id(completion):
            return self._cache[1]
        start = self.episode.state
        state = EpisodeState(question=start.question, options=start.options, video=start.video,
                             messages=[{**m, "content": _text_only(m["content"])} for m in start.messages],
                             started_at=start.started_at, task_id=start.task_id,
                             tool_calls=start.tool_calls, frames_shown=start.frames_shown)
        calls = list(self._calls)
        last_action = None
        for message in completion if isinstance(completion, list) else [{"role": "assistant", "content": str(completion)}]:
            if message.get("role") == "assistant":
                text = assistant_text(message)
                action = parse_action(text, TOOL_NAMES)
                state.turns += 1
                state.messages.append({"role": "assistant", "content": text})
                taken = [calls.pop(0) for _ in action.tool_calls if calls]
                state.steps.append({"turn": state.turns, "message_index": len(state.messages) - 1,
                                    "action": action.to_dict(), "calls": taken})
                if action.kind == "answer" and state.answer is None:
                    state.answer = action.answer
                last_action = action
            elif message.get("role") == "tool":
                state.messages.append({"role": "tool", "name": message.get("name"),
                                       "content": _text_only(message.get("content"))})
        if state.steps and calls:  # calls TRL ran that the re-parse could not attribute: keep them counted
            state.steps[-1]["calls"] += calls
        if state.answer is not None:
            state.end_reason = "answered"
        elif last_action is not None and last_action.kind == "tool_calls":
            state.end_reason = "max_turns"  # TRL's max_tool_calling_iterations (or length) cut it short
        else:
            state.end_reason = "unanswered"  # the model stopped without a usable answer
        self._cache = (id(completion), state)
        return state


def _tool_method(name: str) -> Callable[..., Blocks]:
    """A method with the signature, type hints and docstring of ``VideoTools.<name>``, returning blocks."""
    original = getattr(VideoTools, name)
    signature = inspect.signature(original)
    hints = typing.get_type_hints(original)

    def method(self: VideoToolEnv, *args: Any, **kwargs: Any) -> Blocks:
        try:
            arguments = dict(signature.bind(None, *args, **kwargs).arguments)
            arguments.pop("self", None)
        except TypeError:  # wrong arguments: the registry says what is allowed
            arguments = dict(kwargs)
        return self._call_tool(name, arguments)

    method.__name__ = method.__qualname__ = name
    method.__qualname__ = f"VideoToolEnv.{name}"
    method.__module__ = __name__
    method.__doc__ = original.__doc__
    # No return annotation: the schema must equal the registry's (TRL would add a "return" entry).
    method.__signature__ = signature.replace(return_annotation=inspect.Signature.empty)  # type: ignore[attr-defined]
    method.__annotations__ = {k: v for k, v in hints.items() if k != "return"}
    return method


for _name in TOOL_NAMES:
    setattr(VideoToolEnv, _name, _tool_method(_name))


def make_environment_factory(config: EnvConfig | None = None) -> Callable[[], VideoToolEnv]:
    """``environment_factory`` for :class:`trl.GRPOTrainer`: a new :class:`VideoToolEnv` per call.

    Instances over the same video share one :class:`VideoTools` (one index build per video and
    process) through :func:`vagent.env.environment.tools_for`.
    """
    config = config or EnvConfig(include_schemas=False)
    return functools.partial(VideoToolEnv, config)


# ---------------------------------------------------------------------------- rewards for TRL


def _rows(n: int, kwargs: dict[str, Any]) -> list[dict[str, Any]]:
    return [{k: v[i] for k, v in kwargs.items() if isinstance(v, list) and len(v) == n} for i in range(n)]


def _trajectories(completions: list[Any], environments: list[Any] | None, kwargs: dict[str, Any]) -> list[tuple[Any, Task]]:
    if environments is not None:
        return [(env._trajectory(c), env.task) for c, env in zip(completions, environments, strict=True)]
    # Without environments (plain GRPO on text completions): score the text against each row's task.
    texts = [c if isinstance(c, str) else "\n".join(assistant_text(m) for m in c if m.get("role") == "assistant")
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


def _reward_func(name: str, log: bool) -> Callable[..., list[float]]:
    reward = REWARDS[name]

    def func(completions: list[Any], environments: list[Any] | None = None, **kwargs: Any) -> list[float]:
        pairs = _trajectories(completions, environments, kwargs)
        log_metric = kwargs.get("log_metric")
        if log and callable(log_metric):
            _log_episodes(pairs, log_metric)
        values = [float(reward(state, task)) for state, task in pairs]
        return [v if math.isfinite(v) else 0.0 for v in values]

    func.__name__ = func.__qualname__ = name
    func.__doc__ = f"TRL reward function for the ``{name}`` component (unweighted; see reward_weights)."
    return func


def reward_funcs(spec: str | RewardSpec | None = "default", log_episodes: bool = True) -> list[Callable[..., list[float]]]:
    """One TRL reward function per component of ``spec`` (named after it: ``rewards/<name>/mean``).

    Pass :func:`reward_weights` of the same spec as ``GRPOConfig.reward_weights``. With
    ``log_episodes`` the first function also logs episode statistics through TRL's ``log_metric``.
    """
    spec = RewardSpec.parse(spec)
    return [_reward_func(name, log_episodes and i == 0) for i, name in enumerate(spec.weights)]


def reward_weights(spec: str | RewardSpec | None = "default") -> list[float]:
    """The weights of ``spec`` in :func:`reward_funcs` order."""
    return [float(w) for w in RewardSpec.parse(spec).weights.values()]
