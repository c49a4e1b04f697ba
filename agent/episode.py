"""One episode of the tool loop: the single implementation of "model text in, observations out".

The LangGraph agent (``agent.graph``) and the RL environment (``vagent.env``) both advance
episodes through :class:`Episode`, so a trajectory produced at inference is exactly the kind
of trajectory RL trains on. Episode state is plain JSON (images are data URLs), so it can be
checkpointed, saved as a trace and turned into training data.
"""

from __future__ import annotations

import copy
import time
from dataclasses import asdict, dataclass, field
from typing import Any

from vagent.agent.prompts import question_text, system_prompt
from vagent.agent.protocol import Action, correction_message, parse_action
from vagent.types import Observation, timed_image_blocks


@dataclass
class Budget:
    """Limits that end an episode. ``None`` means unlimited."""

    max_turns: int = 8
    """Model turns allowed before the model must answer."""
    max_frames: int = 64
    """Images shown to the model in tool results (the overview frames are not counted)."""
    max_seconds: float | None = None
    """Wall-clock seconds for the whole episode."""


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
    tool_calls: int = 0
    answer: str | None = None
    end_reason: str | None = None
    """``answered``; the budget that ran out: ``max_turns``, ``max_frames``, ``max_seconds``;
    or ``error`` (the policy backend failed, see ``error``)."""
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
        info = tools.video.info
        overview = tools.overview(overview_frames)
        content: list[dict[str, Any]] = [
            {"type": "text", "text": question_text(question, options, info.duration, len(overview))},
            *timed_image_blocks(overview),
        ]
        messages = [
            {"role": "system", "content": system_prompt(tools.schemas(), include_schemas)},
            {"role": "user", "content": content},
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
        return left

    def exhausted(self) -> str | None:
        """The budget that has run out (``max_turns``, ``max_frames``, ``max_seconds``), if any."""
        budget, state = self.budget, self.state
        if state.turns >= budget.max_turns:
            return "max_turns"
        if state.frames_shown >= budget.max_frames:
            return "max_frames"
        if budget.max_seconds is not None and time.time() - state.started_at >= budget.max_seconds:
            return "max_seconds"
        return None

    def abort(self, message: str) -> None:
        """End the episode because something outside the model failed (e.g. the backend)."""
        self.state.error, self.state.end_reason = message, "error"

    def step(self, text: str, generation: Generation | None = None) -> StepResult:
        """Record the model's text, run what it asks for and append the results."""
        if self.done:
            raise RuntimeError("episode is over; start a new one")
        state = self.state
        generation = generation or Generation(text=text)
        action = parse_action(text, self.tools.names)
        state.turns += 1
        state.messages.append({"role": "assistant", "content": text})
        record: dict[str, Any] = {
            "turn": state.turns,
            "message_index": len(state.messages) - 1,
            "action": action.to_dict(),
            "calls": [],
            "policy_seconds": round(generation.seconds, 4),
            "prompt_tokens": generation.prompt_tokens,
            "completion_tokens": generation.completion_tokens,
        }
        observations: list[Observation] = []
        tool_started = time.perf_counter()
        if action.kind == "answer":
            state.answer, state.end_reason = action.answer, "answered"
        elif state.final_turn:
            state.end_reason = state.steps[-1]["budget_reason"] if state.steps else "max_turns"
        elif action.kind == "invalid":
            observation = Observation.failure(correction_message(action, self.tools.names))
            observations.append(observation)
            state.messages.append({"role": "user", "content": observation.content_blocks()})
        else:
            for call in action.tool_calls:
                observation = self.run_call(call.name, call.arguments, record)
                observations.append(observation)
                state.messages.append({"role": "tool", "name": call.name, "content": observation.content_blocks()})
        record["tool_seconds"] = round(time.perf_counter() - tool_started, 4)

        reason = None if self.done else self.exhausted()
        if reason:
            if state.final_turn:
                state.end_reason = reason
            else:
                state.final_turn = True
                record["budget_reason"] = reason
                last = state.messages[-1]
                if last.get("role") == "tool" and isinstance(last.get("content"), list):
                    # After tool results the notice ends the (last) tool result: TRL's tool loop has no
                    # user turns, so this is the one rendering inference, SFT data and GRPO share.
                    last["content"].append(budget_block(reason))
                else:
                    state.messages.append(
                        {"role": "user", "content": [{"type": "text", "text": budget_message(reason)}]}
                    )
        record["budget_left"] = self.budget_left()
        state.steps.append(record)
        return StepResult(action, observations, self.done, self.done and state.end_reason != "answered")

    def run_call(self, name: str, arguments: dict[str, Any], record: dict[str, Any]) -> Observation:
        """Run one tool call under the frame budget, counting it and appending its record to ``record["calls"]``."""
        state = self.state
        frames_left = self.budget.max_frames - state.frames_shown
        started = time.perf_counter()
        if frames_left <= 0:
            observation = Observation.failure("Frame budget exhausted: no more images can be shown. Answer now.")
        else:
            observation = self.tools.call(name, arguments)
            if len(observation.images) > frames_left:
                observation.images = observation.images[:frames_left]
                observation.text += f"\n(Only {frames_left} image(s) shown: the frame budget is nearly spent.)"
        state.tool_calls += 1
        state.frames_shown += len(observation.images)
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


def budget_block(reason: str) -> dict[str, Any]:
    """The budget notice as the text block that ends a tool result (see :meth:`Episode.step`)."""
    return {"type": "text", "text": "\n" + budget_message(reason)}


def budget_message(reason: str) -> str:
    """What the model is told when ``reason``'s budget is spent (inference and training alike)."""
    what = {"max_turns": "turn", "max_frames": "frame", "max_seconds": "time"}[reason]
    return (
        f"The {what} budget is used up: no more tools can be called. "
        "Give your final answer now as <answer>...</answer>."
    )
