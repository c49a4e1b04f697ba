"""One episode of the tool loop: the single implementation of "model text in, observations out".

The LangGraph agent (``agent.graph``) and the RL environment (``vagent.env``) both advance
episodes through :class:`Episode`, so a trajectory produced at inference is exactly the kind
of trajectory RL trains on. Episode state is plain JSON (images are data URLs), so it can be
checkpointed, saved as a trace and turned into training data.
"""

from __future__ import annotations

import copy
import json
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from vagent.agent.prompts import question_message, system_prompt
from vagent.agent.protocol import Action, correction_message, parse_action
from vagent.tools.audio_budget import fit_listen, fit_said, heard_seconds, shortened_note
from vagent.types import Observation


MAX_OPTIONS = 26
"""Options a question may have: one letter each."""


@dataclass
class Budget:
    """Limits that end an episode. ``None`` means unlimited."""

    max_turns: int = 8
    """Model turns allowed before the model must answer."""
    max_frames: int = 64
    """Images shown to the model in tool results (the overview frames are not counted)."""
    max_seconds: float | None = None
    """Wall-clock seconds for the whole episode."""
    max_audio_seconds: float | None = None
    """Seconds of audio the tools may give the model: each ``listen`` window, and the spoken lines
    ``search_clips`` returns (their lengths); counted like frames (:mod:`vagent.tools.audio_budget`)."""

    def __post_init__(self) -> None:
        for name, value in (("max_turns", self.max_turns), ("max_frames", self.max_frames)):
            if isinstance(value, bool) or not isinstance(value, int) or value < 1:
                raise ValueError(f"Budget.{name} must be a whole number >= 1, got {value!r}")
        for name, seconds in (("max_seconds", self.max_seconds), ("max_audio_seconds", self.max_audio_seconds)):
            if seconds is not None and (isinstance(seconds, bool) or not isinstance(seconds, (int, float)) or not 0 < seconds < float("inf")):
                raise ValueError(f"Budget.{name} must be a positive number of seconds or None, got {seconds!r}")


@dataclass
class Generation:
    """What a policy returns for one turn."""

    text: str
    prompt_tokens: int = 0
    completion_tokens: int = 0
    seconds: float = 0.0
    error: str | None = None
    """Set when the backend failed (after its own retries); the episode then ends."""


@dataclass
class StepResult:
    """The outcome of one model turn."""

    action: Action
    observations: list[Observation]
    done: bool
    truncated: bool


@dataclass
class EpisodeState:
    """Everything that changes during an episode; JSON-serialisable."""

    question: str
    options: list[str] | None
    video: str
    messages: list[dict[str, Any]]
    steps: list[dict[str, Any]] = field(default_factory=list)
    turns: int = 0
    frames_shown: int = 0
    audio_seconds: float = 0.0
    """Seconds of audio heard through the tools (what ``Budget.max_audio_seconds`` counts)."""
    tool_calls: int = 0
    answer: str | None = None
    end_reason: str | None = None
    """``answered``; the budget that ran out: ``max_turns``, ``max_frames``, ``max_seconds``, ``max_audio_seconds``;
    ``error`` (the policy backend failed, see ``error``); in GRPO rollouts also ``unanswered``
    (TRL ended the rollout at a turn without a tool call) and ``max_length`` (TRL dropped tool
    results that overflowed ``max_completion_length``)."""
    error: str | None = None
    final_turn: bool = False
    """The budget ran out: the model gets one last turn to answer, without tools."""
    started_at: float = field(default_factory=time.time)
    task_id: str | None = None


class Episode:
    """Advance an episode one model turn at a time over a :class:`VideoTools` registry."""

    def __init__(self, state: EpisodeState, tools: Any, budget: Budget | None = None):
        self.state = state
        self.tools = tools
        self.budget = budget or Budget()
        self._started: dict[str, list[Any]] = {}
        """Futures of calls started ahead by :meth:`start_calls`, by :func:`call_key`, oldest first."""

    @classmethod
    def start(
        cls,
        tools: Any,
        question: str,
        options: list[str] | None = None,
        budget: Budget | None = None,
        overview_frames: int = 4,
        include_schemas: bool = True,
        task_id: str | None = None,
    ) -> "Episode":
        """A new episode: system prompt, question and ``overview_frames`` evenly spaced frames."""
        if options is not None and len(options) > MAX_OPTIONS:
            raise ValueError(f"{len(options)} options: at most {MAX_OPTIONS} (one letter each, A-Z)")
        info = tools.video.info
        overview = tools.overview(overview_frames)
        messages = [
            {"role": "system", "content": system_prompt(tools.schemas(), include_schemas)},
            question_message(question, options, info.duration, overview, info),
        ]
        state = EpisodeState(
            question=question, options=options, video=str(info.path), messages=messages, task_id=task_id
        )
        return cls(state, tools, budget)

    @classmethod
    def from_dict(cls, data: dict[str, Any], tools: Any, budget: Budget | None = None) -> "Episode":
        return cls(EpisodeState(**copy.deepcopy(data)), tools, budget)

    def to_dict(self) -> dict[str, Any]:
        return asdict(self.state)

    @property
    def done(self) -> bool:
        return self.state.end_reason is not None

    def budget_left(self) -> dict[str, Any]:
        budget, state = self.budget, self.state
        left: dict[str, Any] = {
            "turns": budget.max_turns - state.turns,
            "frames": budget.max_frames - state.frames_shown,
        }
        if budget.max_seconds is not None:
            left["seconds"] = round(budget.max_seconds - (time.time() - state.started_at), 2)
        if budget.max_audio_seconds is not None:
            left["audio_seconds"] = round(budget.max_audio_seconds - state.audio_seconds, 3)
        return left

    def audio_left(self) -> float | None:
        """Seconds of audio the tools may still give (None: unlimited)."""
        limit = self.budget.max_audio_seconds
        return None if limit is None else limit - self.state.audio_seconds

    def exhausted(self) -> str | None:
        """The budget that has run out (``max_turns``, ``max_frames``, ``max_seconds``, ``max_audio_seconds``), if any."""
        budget, state = self.budget, self.state
        if state.turns >= budget.max_turns:
            return "max_turns"
        if state.frames_shown >= budget.max_frames:
            return "max_frames"
        if budget.max_seconds is not None and time.time() - state.started_at >= budget.max_seconds:
            return "max_seconds"
        audio_left = self.audio_left()
        if audio_left is not None and audio_left <= 0:
            return "max_audio_seconds"
        return None

    def abort(self, message: str) -> None:
        """End the episode because something outside the model failed (e.g. the backend)."""
        self.state.error, self.state.end_reason = message, "error"

    def step(self, text: str, generation: Generation | None = None) -> StepResult:
        """Record the model's text, run what it asks for and append the results.

        One turn is three phases that every face shares: :meth:`begin_turn`, one
        :meth:`tool_result` per call (or the answer / the correction of a malformed turn), and
        :meth:`end_turn`. TRL's tool loop, which parses turns and calls tools itself, drives the
        same phases (``vagent.faces.trl_rollout``).
        """
        if self.done:
            raise RuntimeError("episode is over; start a new one")
        state = self.state
        action = parse_action(text, self.tools.names)
        record = self.begin_turn(text, action, generation)
        observations: list[Observation] = []
        tool_started = time.perf_counter()
        if action.kind == "answer":
            state.answer, state.end_reason = action.answer, "answered"
        elif state.final_turn:
            self.end_after_final_turn()
        elif action.kind == "invalid":
            observation = Observation.failure(correction_message(action, self.tools.names))
            observations.append(observation)
            state.messages.append({"role": "user", "content": observation.content_blocks()})
        else:
            self.start_calls([(call.name, call.arguments) for call in action.tool_calls])
            observations = [self.tool_result(call.name, call.arguments, record)[0] for call in action.tool_calls]
            self.discard_started_calls()
        record["tool_seconds"] = round(time.perf_counter() - tool_started, 4)
        self.end_turn(record)
        return StepResult(action, observations, self.done, self.done and state.end_reason != "answered")

    def begin_turn(self, text: str | None, action: Action | None, generation: Generation | None = None) -> dict[str, Any]:
        """Count a model turn and append its assistant message; returns the turn's step record.

        ``text``/``action`` may be filled in later (TRL calls a turn's tools before vagent sees its text).
        """
        state = self.state
        generation = generation or Generation(text=text or "")
        state.turns += 1
        state.messages.append({"role": "assistant", "content": text})
        return {
            "turn": state.turns,
            "message_index": len(state.messages) - 1,
            "action": action.to_dict() if action is not None else None,
            "calls": [],
            "policy_seconds": round(generation.seconds, 4),
            "prompt_tokens": generation.prompt_tokens,
            "completion_tokens": generation.completion_tokens,
        }

    def tool_result(self, name: str, arguments: dict[str, Any], record: dict[str, Any]) -> tuple[Observation, list[dict[str, Any]]]:
        """Run one call of the current turn and append its tool message; returns the observation and the
        message's content blocks.

        The one rule for budget notices: a tool result ends with the notice when, after that call, a
        budget is spent (every result of the last allowed turn, and every result once frames or time
        are used up), so the notice sits in the same place whoever runs the loop.
        """
        observation = self.run_call(name, arguments, record)
        blocks = observation.content_blocks()
        reason = self.exhausted()
        if reason:
            blocks.append(budget_block(reason))
        # beside the content a model reads, the structured result for policies that read data, not text
        # (the scripted baseline); chat backends render only role, name and content
        self.state.messages.append({"role": "tool", "name": name, "content": blocks, "data": observation.data,
                                    "error": observation.error, "budget_spent": reason})
        return observation, blocks

    def end_turn(self, record: dict[str, Any]) -> None:
        """Close a turn: when a budget is spent the next turn is the answer-only final turn (a turn
        without tool results gets the notice as a user message)."""
        state = self.state
        reason = None if self.done else self.exhausted()
        if reason and not state.final_turn:
            state.final_turn = True
            record["budget_reason"] = reason
            if state.messages[-1].get("role") != "tool":
                state.messages.append({"role": "user", "content": [{"type": "text", "text": budget_message(reason)}],
                                       "budget_spent": reason})
        record["budget_left"] = self.budget_left()
        state.steps.append(record)

    def end_after_final_turn(self) -> None:
        """The final, answer-only turn did not answer: the episode ends with the budget that ran out."""
        state = self.state
        state.end_reason = next((s["budget_reason"] for s in reversed(state.steps) if s.get("budget_reason")), "max_turns")

    def start_calls(self, calls: list[tuple[str, Any]]) -> None:
        """Start a turn's calls at once when the tools run in worker processes (they have ``submit``:
        :class:`~vagent.tools.workers.PooledTools`); :meth:`run_call` then takes each result in turn.

        Results, budgets and notices are those of running the calls one by one: a call that the frame
        budget stops is not shown (its early result is dropped), and each tool is a pure function
        of its video and arguments. Without ``submit`` this does nothing.
        """
        submit = getattr(self.tools, "submit", None)
        if submit is None or self.budget.max_frames <= self.state.frames_shown:
            return
        for name, arguments in calls:
            self._started.setdefault(call_key(name, arguments), []).append(submit(name, arguments))

    def discard_started_calls(self) -> None:
        """Forget calls started ahead that were never run (the turn ended first)."""
        self._started.clear()

    def run_call(self, name: str, arguments: dict[str, Any], record: dict[str, Any]) -> Observation:
        """Run one tool call under the frame and audio budgets, counting it and appending its record to ``record["calls"]``."""
        state = self.state
        frames_left, audio_left = self.budget.max_frames - state.frames_shown, self.audio_left()
        started = time.perf_counter()
        early = self._started.get(call_key(name, arguments))
        future = early.pop(0) if early else None
        if frames_left <= 0:
            observation = Observation.failure("Frame budget exhausted: no more images can be shown. Answer now.")
        elif audio_left is not None and audio_left <= 0:
            observation = Observation.failure("Audio budget exhausted: nothing more can be heard. Answer now.")
        else:
            heard_arguments, shortened = fit_listen(name, arguments, audio_left)
            observation = future.result() if future is not None and not shortened else self.tools.call(name, heard_arguments)
            if shortened and not observation.error:
                observation.text += "\n" + shortened_note(audio_left)
            if len(observation.images) > frames_left:
                observation.images = observation.images[:frames_left]
                observation.text += f"\n(Only {frames_left} image(s) shown: the frame budget is nearly spent.)"
            fit_said(observation, audio_left)
        state.tool_calls += 1
        state.frames_shown += len(observation.images)
        state.audio_seconds = round(state.audio_seconds + heard_seconds(observation), 3)
        record["calls"].append(
            {
                "tool": name,
                "arguments": arguments,
                "summary": observation.summary(),
                "error": observation.error,
                "seconds": round(time.perf_counter() - started, 4),
                "image_times": [round(timed.time, 3) for timed in observation.images],
            }
        )
        return observation


def call_key(name: Any, arguments: Any) -> str:
    """One tool call as a string, to match a call started ahead with the same call run later."""
    try:
        return json.dumps([name, arguments], sort_keys=True, default=repr)
    except (ValueError, TypeError, RecursionError):  # keys of mixed types, an integer too long to print
        return repr((name, arguments))


def budget_block(reason: str) -> dict[str, Any]:
    """The budget notice as the text block that ends a tool result (see :meth:`Episode.step`)."""
    return {"type": "text", "text": "\n" + budget_message(reason)}


def budget_message(reason: str) -> str:
    """What the model is told when ``reason``'s budget is spent (inference and training alike)."""
    what = {"max_turns": "turn", "max_frames": "frame", "max_seconds": "time", "max_audio_seconds": "audio"}[reason]
    return (
        f"The {what} budget is used up: no more tools can be called. "
        "Give your final answer now as <answer>...</answer>."
    )
