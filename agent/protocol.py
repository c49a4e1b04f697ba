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
from collections.abc import Collection
from dataclasses import dataclass, field
from typing import Any, Literal

THINK_OPEN, THINK_CLOSE = "<think>", "</think>"
CALL_OPEN, CALL_CLOSE = "<tool_call>", "</tool_call>"
ANSWER_OPEN, ANSWER_CLOSE = "<answer>", "</answer>"

MAX_ERRORS = 8
"""At most this many problems are listed for one output (a degenerate output can have thousands)."""
MAX_NESTING = 32
"""Deepest nesting of lists and objects accepted in tool-call arguments."""
_SHOWN = 60
"""Characters of a model-written name or value quoted in an error."""


def _blocks(text: str, open_tag: str, close_tag: str) -> list[tuple[int, int, str]]:
    """``(start, end, inner)`` of each ``open_tag…close_tag`` block, as a lazy regex finds them.

    Linear in ``len(text)``: every search starts where the last one stopped, and once no
    ``close_tag`` follows an ``open_tag`` none can follow a later one (a regex retries from each
    unclosed tag, which is quadratic in the number of unclosed tags).
    """
    blocks, position = [], 0
    while True:
        start = text.find(open_tag, position)
        if start < 0:
            return blocks
        close = text.find(close_tag, start + len(open_tag))
        if close < 0:
            return blocks
        end = close + len(close_tag)
        blocks.append((start, end, text[start + len(open_tag) : close]))
        position = end


def _without(text: str, blocks: list[tuple[int, int, str]]) -> str:
    """``text`` with ``blocks`` cut out."""
    parts, position = [], 0
    for start, end, _ in blocks:
        parts.append(text[position:start])
        position = end
    parts.append(text[position:])
    return "".join(parts)


def _short(value: Any) -> str:
    """A model-written value for an error message: at most ``_SHOWN`` characters, one line."""
    text = value if isinstance(value, str) else type(value).__name__
    text = " ".join(text.split())
    return text if len(text) <= _SHOWN else f"{text[:_SHOWN]}… ({len(text)} characters)"


def _depth(value: Any) -> int:
    """Deepest nesting of lists and dicts in ``value`` (iterative: no recursion limit)."""
    deepest, stack = 0, [(value, 1)]
    while stack:
        item, level = stack.pop()
        if isinstance(item, dict):
            children = item.values()
        elif isinstance(item, list):
            children = item
        else:
            continue
        deepest = max(deepest, level)
        if deepest > MAX_NESTING:
            return deepest
        stack.extend((child, level + 1) for child in children)
    return deepest


def _loads(text: str) -> tuple[Any, str | None]:
    """``json.loads`` that reports, rather than raises, every way it can fail."""
    try:
        return json.loads(text), None
    except json.JSONDecodeError as exc:
        return None, f"is not valid JSON ({exc.msg} at line {exc.lineno} column {exc.colno})"
    except RecursionError:
        return None, f"is nested too deeply (at most {MAX_NESTING} levels of lists and objects)"
    except ValueError as exc:  # e.g. an integer with more digits than Python converts
        if "digits" in str(exc):
            return None, "holds an integer with thousands of digits (write numbers of ordinary size)"
        return None, f"is not valid JSON ({_short(str(exc))})"


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
    payload, problem = _loads(body.strip())
    if problem:
        return None, f"tool call {problem}"
    if not isinstance(payload, dict):
        return None, 'tool call must be a JSON object {"name": ..., "arguments": {...}}'
    name = payload.get("name")
    if not isinstance(name, str) or not name:
        return None, 'tool call has no "name" string'
    arguments = payload.get("arguments", payload.get("parameters", {}))
    if isinstance(arguments, str):  # some models emit the arguments as a JSON string
        arguments, problem = _loads(arguments) if arguments.strip() else ({}, None)
        if problem:
            return None, f'arguments of "{_short(name)}" are a string that {problem}'
    if arguments is None:
        arguments = {}
    if not isinstance(arguments, dict):
        return None, f'arguments of "{_short(name)}" must be a JSON object'
    if tool_names is not None and name not in tool_names:
        return None, f'unknown tool "{_short(name)}" (available: {", ".join(sorted(tool_names))})'
    if _depth(arguments) > MAX_NESTING:
        return None, f'arguments of "{_short(name)}" are nested too deeply (at most {MAX_NESTING} levels)'
    return ToolCall(name=name, arguments=arguments), None


def _add_error(action: Action, problem: str) -> None:
    """Record ``problem`` once; past ``MAX_ERRORS`` problems only count them."""
    if problem in action.errors:
        return
    if len(action.errors) < MAX_ERRORS:
        action.errors.append(problem)
    elif len(action.errors) == MAX_ERRORS:
        action.errors.append("more problems not listed")


def parse_action(text: Any, tool_names: Collection[str] | None = None) -> Action:
    """Parse model text into an :class:`Action`; never raises, and runs in time linear in ``len(text)``.

    ``tool_names``, when given, makes calls to any other tool an error. Anything but a ``str``
    is an ``invalid`` action whose error names the type received.

    >>> parse_action(b"<answer>A</answer>").errors
    ['the output is not text (got bytes)']
    """
    if not isinstance(text, str):
        action = Action(raw="")
        action.errors.append("empty output" if text is None else f"the output is not text (got {type(text).__name__})")
        return action
    raw = text
    action = Action(raw=raw)
    if not raw.strip():
        action.errors.append("empty output")
        return action

    thinks = _blocks(raw, THINK_OPEN, THINK_CLOSE)
    if thinks:
        action.think = "\n".join(inner.strip() for _, _, inner in thinks)
    elif THINK_CLOSE in raw and THINK_OPEN not in raw:  # templates that pre-fill <think>
        action.think = raw.split(THINK_CLOSE, 1)[0].strip()
    body = _without(raw, thinks)
    if THINK_OPEN in body:
        action.errors.append("<think> is never closed (end it with </think>)")

    for open_tag, close_tag in ((CALL_OPEN, CALL_CLOSE), (ANSWER_OPEN, ANSWER_CLOSE)):
        if body.count(open_tag) != body.count(close_tag):
            action.errors.append(f"{open_tag} without a matching {close_tag}")

    for _, _, call_body in _blocks(body, CALL_OPEN, CALL_CLOSE):
        call, problem = _parse_call(call_body, tool_names)
        if problem:
            _add_error(action, problem)
        elif call is not None:
            action.tool_calls.append(call)

    answers = [inner.strip() for _, _, inner in _blocks(body, ANSWER_OPEN, ANSWER_CLOSE)]
    if len(answers) > 1:
        _add_error(action, "several <answer> blocks (write exactly one)")
    elif answers:
        if answers[0]:
            action.answer = answers[0]
        else:
            _add_error(action, "the <answer> block is empty")

    if action.answer is not None and action.tool_calls:
        _add_error(action, "both tool calls and an answer (do one or the other)")
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
