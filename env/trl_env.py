"""The TRL face of the environment: ``GRPOTrainer(environment_factory=...)`` and reward adapters.

TRL creates one :class:`VideoToolEnv` per rollout, calls ``reset(**row)`` with the dataset
columns of :func:`training_dataset` and exposes every other public method as a tool. Those
methods are derived from :class:`vagent.tools.registry.VideoTools` (same names, type hints and
docstrings, hence the same JSON schemas); they run through :class:`vagent.agent.episode.Episode`
(the code the LangGraph agent runs), so frame budgets apply and every call is recorded for the
tool-cost rewards. Images come back as PIL images in content blocks, which TRL feeds to the next
generation turn AND to the loss forward pass.

>>> from vagent.env.trl_env import make_environment_factory, reward_funcs, reward_weights
>>> from vagent.training.grpo import VagentGRPOTrainer  # GRPOTrainer + the turn boundaries the env needs
>>> trainer = VagentGRPOTrainer(model, reward_funcs=reward_funcs("default"), train_dataset=training_dataset(tasks),
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
import typing
from collections import defaultdict
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from vagent.agent.episode import Episode, EpisodeState
from vagent.agent.messages import protocol_text, text_of_blocks
from vagent.agent.prompts import SYSTEM_INSTRUCTIONS
from vagent.agent.protocol import parse_action
from vagent.env.environment import EnvConfig, start_episode
from vagent.env.rewards import REWARDS, RewardSpec, accuracy, task_spec
from vagent.env.tasks import Task, task_from_row, tasks_to_dataset
from vagent.tools.registry import TOOL_NAMES, VideoTools
from vagent.errors import ConfigError
from vagent.types import block_image

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


class VideoToolEnv:
    """One rollout of the video tool loop for TRL's ``environment_factory``.

    Public methods are exactly the tools of :class:`VideoTools` (plus ``reset``); helpers are
    private so TRL does not expose them. The rollout advances an :class:`Episode` through the same
    phases as :meth:`Episode.step` (``begin_turn`` / ``tool_result`` / ``end_turn``), so budgets,
    notices and the answer-only final turn are those of inference. TRL calls a turn's tools before
    vagent sees the turn's text, so the trainer marks each new model turn (:meth:`_next_turn`,
    called by :class:`vagent.training.grpo.VagentGRPOTrainer` before every generation) and
    :meth:`_trajectory` fills in the texts afterwards. What TRL's loop does differently is listed
    in docs/training.md ("A GRPO rollout is an inference episode").
    """

    def __init__(self, config: EnvConfig | None = None):
        # the system turn is the dataset's prompt (trl_prompt) and TRL's template renders the tools from
        # this class's methods, so the episode never lists schemas here (EnvConfig.include_schemas says so)
        self.config = replace(config or EnvConfig(), include_schemas=False)
        self.task: Task | None = None
        self.episode: Episode | None = None
        self._turn: dict[str, Any] | None = None
        self._tool_turns: list[dict[str, Any]] = []
        self._finished: EpisodeState | None = None

    def reset(self, **row: Any) -> Blocks | str:
        """Start an episode on the task in ``row``; returns the question and overview frames as blocks."""
        self.task = task_from_row(row)
        self.episode = start_episode(self.task, self.config)
        self._turn, self._tool_turns, self._finished = None, [], None
        return self._observation(self.episode.state.messages[-1]["content"])

    def _observation(self, blocks: Blocks) -> Blocks | str:
        """Blocks with PIL images for a VLM; one string for a text-only model (``EnvConfig.text_only``)."""
        return text_of_blocks(blocks) if self.config.text_only else pil_blocks(blocks)

    def _next_turn(self) -> None:
        """The model is about to write a new turn: close the one whose tools just ran."""
        if self._turn is not None and self.episode is not None:
            self.episode.end_turn(self._turn)
            self._turn = None

    def _call_tool(self, name: str, arguments: dict[str, Any]) -> Blocks | str:
        episode = self.episode
        if episode is None:
            return self._observation([{"type": "text", "text": "ERROR: the environment was not reset"}])
        if self._turn is None:  # the first call of a model turn
            if episode.state.final_turn and not episode.done:
                episode.end_after_final_turn()  # inference ends here: a tool call in the answer-only turn
            if episode.done:
                return self._observation([{"type": "text", "text": "The episode is over: no more tools can be called."}])
            self._turn = episode.begin_turn(None, None)
            self._tool_turns.append(self._turn)
        _, blocks = episode.tool_result(name, arguments, self._turn)
        return self._observation(blocks)

    def _trajectory(self, completion: list[dict[str, Any]]) -> EpisodeState:
        """The finished episode: TRL's assistant messages become the turns' texts, its last turn is stepped."""
        if self.episode is None:
            raise RuntimeError("reset() was never called")
        if self._finished is not None:  # one rollout per reset: every reward function sees the same episode
            return self._finished
        self._next_turn()
        episode, state = self.episode, self.episode.state
        messages = completion if isinstance(completion, list) else [{"role": "assistant", "content": str(completion)}]
        turns = [(i, m) for i, m in enumerate(messages) if m.get("role") == "assistant"]
        tool_turns = iter(self._tool_turns)
        for position, (index, message) in enumerate(turns):
            text, last = protocol_text(message), position == len(turns) - 1
            # only calls of known tools reached this environment (TRL answers unknown names itself)
            called = [c.get("function", c).get("name") in TOOL_NAMES for c in message.get("tool_calls") or []]
            record = next(tool_turns, None) if any(called) else None
            if record is not None:  # a turn whose tools ran: its text was not known when they did
                state.messages[record["message_index"]]["content"] = text
                record["action"] = parse_action(text, TOOL_NAMES).to_dict()
                results = messages[index + 1 : index + 2]
                if last and not episode.done and not (results and results[0].get("role") == "tool"):
                    state.end_reason = "max_length"  # TRL dropped results that overflowed max_completion_length
            elif last and not episode.done:
                action = parse_action(text, TOOL_NAMES)
                if action.kind == "answer" or state.final_turn:
                    episode.step(text)  # the answer, or the end of the answer-only final turn, as at inference
                else:  # TRL ends a rollout at a turn without a tool call; inference would correct it and go on
                    episode.end_turn(episode.begin_turn(text, action))
                    state.end_reason = "unanswered"
        if state.end_reason is None:
            state.end_reason = "unanswered"
        self._finished = state
        return state


def _tool_method(name: str) -> Callable[..., Blocks | str]:
    """A method with the signature, type hints and docstring of ``VideoTools.<name>``, returning blocks."""
    original = getattr(VideoTools, name)
    signature = inspect.signature(original)
    hints = typing.get_type_hints(original)

    def method(self: VideoToolEnv, *args: Any, **kwargs: Any) -> Blocks | str:
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
    reward = REWARDS[name]

    def func(completions: list[Any], environments: list[Any] | None = None, **kwargs: Any) -> list[float]:
        pairs = _trajectories(completions, environments, kwargs)
        log_metric = kwargs.get("log_metric")
        if log and callable(log_metric):
            _log_episodes(pairs, log_metric)
        values = []
        for state, task in pairs:
            value = float(reward(state, task))
            scale = task_spec(task, run).weights.get(name, 0.0) / run.weights[name] if task.reward else 1.0
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
    scaled by task weight / run weight, so the weighted total is the task spec's total.
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
