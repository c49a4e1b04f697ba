"""The TRL face: one :class:`TRLRolloutEnv` per rollout of ``GRPOTrainer(environment_factory=...)``.

TRL creates one :class:`TRLRolloutEnv` per rollout, calls ``reset(**row)`` with the dataset
columns of :func:`vagent.faces.trl_dataset.training_dataset` and exposes every other public
method as a tool. Those methods are derived from :class:`vagent.tools.registry.VideoTools` (same
names, type hints and docstrings, hence the same JSON schemas); they run through
:class:`vagent.agent.episode.Episode` (the code the LangGraph agent runs), so frame budgets apply
and every call is recorded for the tool-cost rewards. Images come back as PIL images in content
blocks, which TRL feeds to the next generation turn AND to the loss forward pass.

>>> from vagent.faces.trl_dataset import training_dataset
>>> from vagent.faces.trl_rewards import reward_funcs, reward_weights
>>> from vagent.faces.trl_rollout import make_environment_factory
>>> from vagent.training.grpo import VagentGRPOTrainer  # GRPOTrainer + the turn boundaries the env needs
>>> trainer = VagentGRPOTrainer(model, reward_funcs=reward_funcs("default"), train_dataset=training_dataset(tasks),
...     args=GRPOConfig(reward_weights=reward_weights("default"), ...),
...     environment_factory=make_environment_factory(EnvConfig()))  # doctest: +SKIP
"""

from __future__ import annotations

import functools
import inspect
import typing
from collections.abc import Callable
from dataclasses import replace
from typing import Any

from vagent.agent.episode import Episode, EpisodeState
from vagent.agent.messages import protocol_text, text_of_blocks
from vagent.agent.protocol import parse_action
from vagent.env.environment import EnvConfig, start_episode
from vagent.env.tasks import Task
from vagent.faces.trl_dataset import task_from_row
from vagent.tools.registry import TOOL_NAMES, VideoTools
from vagent.types import block_image

__all__ = ["TRLRolloutEnv", "make_environment_factory", "pil_blocks"]

Blocks = list[dict[str, Any]]


def pil_blocks(blocks: Blocks) -> Blocks:
    """Chat blocks with every image block as ``{"type": "image", "image": PIL.Image}`` (what TRL wants)."""
    return [{"type": "image", "image": block_image(b)} if b.get("type") == "image" else dict(b) for b in blocks]


class TRLRolloutEnv:
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
        if self.episode is not None:
            self.episode.discard_started_calls()
        if self._turn is not None and self.episode is not None:
            self.episode.end_turn(self._turn)
            self._turn = None

    def _start_calls(self, calls: list[tuple[str, Any]]) -> None:
        """Start this rollout's calls of the coming turn in the tool workers, before TRL asks for them one by
        one (:class:`~vagent.training.grpo.VagentGRPOTrainer` does so for every rollout of a batch at once)."""
        episode = self.episode
        if episode is not None and not episode.done and not episode.state.final_turn:
            episode.start_calls([(name, arguments) for name, arguments in calls if name in TOOL_NAMES])

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

    def method(self: TRLRolloutEnv, *args: Any, **kwargs: Any) -> Blocks | str:
        try:
            arguments = dict(signature.bind(None, *args, **kwargs).arguments)
            arguments.pop("self", None)
        except TypeError:  # wrong arguments: the registry says what is allowed
            arguments = dict(kwargs)
        return self._call_tool(name, arguments)

    method.__name__ = method.__qualname__ = name
    method.__qualname__ = f"TRLRolloutEnv.{name}"
    method.__module__ = __name__
    method.__doc__ = original.__doc__
    # No return annotation: the schema must equal the registry's (TRL would add a "return" entry).
    method.__signature__ = signature.replace(return_annotation=inspect.Signature.empty)  # type: ignore[attr-defined]
    method.__annotations__ = {k: v for k, v in hints.items() if k != "return"}
    return method


for _name in TOOL_NAMES:
    setattr(TRLRolloutEnv, _name, _tool_method(_name))


def make_environment_factory(config: EnvConfig | None = None) -> Callable[[], TRLRolloutEnv]:
    """``environment_factory`` for :class:`trl.GRPOTrainer`: a new :class:`TRLRolloutEnv` per call.

    Instances over the same video share one :class:`VideoTools` (one index build per video and
    process) through :func:`vagent.env.environment.tools_for`.
    """
    config = config or EnvConfig(include_schemas=False)
    return functools.partial(TRLRolloutEnv, config)
