"""The interaction protocol: how the model writes actions, and the ONE parser that reads them.

The model writes ``<think>…</think>`` and then either one or more
``<tool_call>{"name": …, "arguments": {…}}</tool_call>`` (the Hermes/Qwen form TRL parses)
or ``<answer>…</answer>``. The agent, the environment and the rewards all read model text
through :func:`parse_action`, which never raises: malformed text becomes an ``invalid``
action whose ``errors`` say what went wrong, so the model can be told and recover.

>>> parse_action('<think>look</think><answer>B</answer>').answer
'B'
>>> parse_action('<tool_call>{"name": "detect_scenes", "arguments": {}}</tool_call>').kind
'tool_calls'
>>> parse_action('<answer>A</answer><answer>B</answer>').errors
['several <answer> blocks (write exactly one)']
"""

from __future__ import annotations

import json
import re
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any, Literal

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"
CALL_OPEN, CALL_CLOSE = "<tool_call>", "</tool_call>"
ANSWER_OPEN, ANSWER_CLOSE = "<answer>", "</answer>"

_BLOCK = {
    "think": re.compile(r"<think>(.*?)</think>", re.S),
    "tool_call": re.compile(r"<tool_call>(.*?)</tool_call>", re.S),
    "answer": re.compile(r"<answer>(.*?)</answer>", re.S),
}


@dataclass(frozen=True)
class ToolCall:
    """One requested tool call."""

    name: str
    arguments: dict[str, Any] = field(default_factory=dict)

    def to_dict(self) -> dict[str, Any]:
        return {"name": self.name, "arguments": self.arguments}


@dataclass
class Action:
    """What a piece of model text asks for: tool calls, an answer, or nothing usable."""

    raw: str
    think: str | None = None
    tool_calls: list[ToolCall] = field(default_factory=list)
    answer: str | None = None
    errors: list[str] = field(default_factory=list)

    @property
    def kind(self) -> Literal["answer", "tool_calls", "invalid"]:
        if self.errors:
            return "invalid"
        return "answer" if self.answer is not None else "tool_calls"

    def to_dict(self) -> dict[str, Any]:
        return {
            "kind": self.kind,
            "think": self.think,
            "tool_calls": [call.to_dict() for call in self.tool_calls],
            "answer": self.answer,
            "errors": list(self.errors),
        }


def _parse_call(body: str, tool_names: Collection[str] | None) -> tuple[ToolCall | None, str | None]:
    try:
        payload = json.loads(body.strip())
    except (json.JSONDecodeError, RecursionError) as exc:
        return None, f"tool call is not valid JSON ({exc.__class__.__name__}: {str(exc)[:80]})"
    if not isinstance(payload, dict):
        return None, 'tool call must be a JSON object {"name": ..., "arguments": {...}}'
    name = payload.get("name")
    if not isinstance(name, str) or not name:
        return None, 'tool call has no "name" string'
    arguments = payload.get("arguments", payload.get("parameters", {}))
    if isinstance(arguments, str):  # some models emit the arguments as a JSON string
        try:
            arguments = json.loads(arguments) if arguments.strip() else {}
        except (json.JSONDecodeError, RecursionError):
            return None, f'arguments of "{name}" are not a JSON object'
    if arguments is None:
        arguments = {}
    if not isinstance(arguments, dict):
        return None, f'arguments of "{name}" must be a JSON object'
    if tool_names is not None and name not in tool_names:
        return None, f'unknown tool "{name}" (available: {", ".join(sorted(tool_names))})'
    return ToolCall(name=name, arguments=arguments), None


def _unclosed(text: str, open_tag: str, close_tag: str) -> bool:
    return text.count(open_tag) != text.count(close_tag)


def parse_action(text: str | None, tool_names: Collection[str] | None = None) -> Action:
    """Parse model text into an :class:`Action`; never raises.

    ``tool_names``, when given, makes calls to any other tool an error.
    """
    raw = text if isinstance(text, str) else ""
    action = Action(raw=raw)
    if not raw.strip():
        action.errors.append("empty output")
        return action

    think_blocks = _BLOCK["think"].findall(raw)
    if think_blocks:
        action.think = "\n".join(block.strip() for block in think_blocks)
    elif THINK_CLOSE in raw and THINK_OPEN not in raw:  # templates that pre-fill <think>
        action.think = raw.split(THINK_CLOSE, 1)[0].strip()
    body = _BLOCK["think"].sub("", raw)
    if THINK_OPEN in body:
        action.errors.append("<think> is never closed (end it with </think>)")

    for open_tag, close_tag in ((CALL_OPEN, CALL_CLOSE), (ANSWER_OPEN, ANSWER_CLOSE)):
        if _unclosed(body, open_tag, close_tag):
            action.errors.append(f"{open_tag} without a matching {close_tag}")

    for call_body in _BLOCK["tool_call"].findall(body):
        call, problem = _parse_call(call_body, tool_names)
        if problem:
            action.errors.append(problem)
        elif call is not None:
            action.tool_calls.append(call)

    answers = [answer.strip() for answer in _BLOCK["answer"].findall(body)]
    if len(answers) > 1:
        action.errors.append("several <answer> blocks (write exactly one)")
    elif answers:
        if answers[0]:
            action.answer = answers[0]
        else:
            action.errors.append("the <answer> block is empty")

    if action.answer is not None and action.tool_calls:
        action.errors.append("both tool calls and an answer (do one or the other)")
    if not action.errors and action.answer is None and not action.tool_calls:
        action.errors.append("no <tool_call> and no <answer>")
    return action


def render_tool_call(call: ToolCall) -> str:
    """The exact text of one tool call, as a model writes it."""
    return f"{CALL_OPEN}\n{json.dumps(call.to_dict(), ensure_ascii=False)}\n{CALL_CLOSE}"


def render_action(think: str | None, tool_calls: list[ToolCall] | None = None, answer: str | None = None) -> str:
    """Model text for a think + tool calls or think + answer turn (scripted policy, SFT data)."""
    parts = [f"{THINK_OPEN}{think.strip()}{THINK_CLOSE}"] if think else []
    parts += [render_tool_call(call) for call in tool_calls or []]
    if answer is not None:
        parts.append(f"{ANSWER_OPEN}{answer}{ANSWER_CLOSE}")
    return "\n".join(parts)


def correction_message(action: Action, tool_names: Collection[str]) -> str:
    """What the model is told when its text could not be used."""
    problems = "; ".join(action.errors) or "unusable output"
    return (
        f"Your last message could not be used: {problems}. Write {THINK_OPEN}your reasoning{THINK_CLOSE} "
        f'then either one or more {CALL_OPEN}{{"name": "<tool>", "arguments": {{...}}}}{CALL_CLOSE} '
        f"(tools: {', '.join(sorted(tool_names))}) or {ANSWER_OPEN}your answer{ANSWER_CLOSE}."
    )
