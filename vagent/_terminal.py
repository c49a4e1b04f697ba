"""What the command line prints: literal text (never rich markup), shortened, and the exits.

Text from users, models and tools is printed as it is and cut to :data:`SHOWN_CHARS` in the
terminal (the trace keeps it whole); a broken rule prints one line and exits 2.
"""

from __future__ import annotations

import json
from typing import Any

import typer
from rich.console import Console
from rich.text import Text

from vagent.errors import VagentError

console = Console(stderr=False, highlight=False)
err = Console(stderr=True, highlight=False)

EXIT_NO_ANSWER = 1
EXIT_BAD_INPUT = 2
EXIT_MODEL = 3
SHOWN_CHARS = 2000
"""Longest text (question, think text, tool result, answer) shown whole in the terminal."""


def shorten(text: Any, limit: int = SHOWN_CHARS) -> str:
    """``text`` as shown in the terminal: cut to ``limit`` characters, saying how much was left out."""
    text = str(text)
    if len(text) > limit:
        text = f"{text[:limit]} … [{len(text) - limit} more characters in the trace]"
    try:
        text.encode("utf-8")
    except UnicodeEncodeError:  # lone surrogates (valid in a model's JSON) cannot reach a terminal
        text = text.encode("utf-8", "backslashreplace").decode("utf-8")
    return text


def say(*parts: str | tuple[str, str], to: Console | None = None, limit: int = SHOWN_CHARS) -> None:
    """Print ``parts`` literally: plain strings are untrusted text (shortened), ``(text, style)`` are labels."""
    line = Text()
    for part in parts:
        if isinstance(part, tuple):
            line.append(shorten(part[0], limit=len(part[0])), style=part[1])
        else:
            line.append(shorten(part, limit))
    (to or console).print(line, soft_wrap=True)


def fail(message: str, code: int = EXIT_BAD_INPUT) -> None:
    say(("error: ", "bold red"), message, to=err)
    raise typer.Exit(code)


def checked(*checks: Any) -> None:
    """Run ``check`` calls given as ``(function, *args)``; the first rule broken exits 2."""
    try:
        for function, *args in checks:
            function(*args)
    except VagentError as exc:
        fail(str(exc))


def label_column(template: str, style: str = "bold"):
    """A progress column that shows ``template`` (may use ``{task.description}``) literally."""
    from rich.progress import TextColumn

    return TextColumn(template, style=style, markup=False, highlighter=None)


def progress_bar(description: str):
    """A bar for counted work (tasks, runs, videos): done / total, elapsed and remaining time."""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeElapsedColumn, TimeRemainingColumn

    literal = shorten(description, 200).replace("{", "{{").replace("}", "}}")  # safe inside a str.format template
    return Progress(label_column(literal), BarColumn(), MofNCompleteColumn(), TimeElapsedColumn(), TimeRemainingColumn(), console=err)


def print_update(node: str, update: dict[str, Any]) -> None:
    """Stream the reasoning: think text, each tool call, a one-line summary of each result."""
    from vagent.agent.protocol import parse_action

    if node == "policy" and update.get("pending"):
        pending = update["pending"]
        if pending.get("error"):
            say(("policy failed: ", "red"), pending["error"], to=err)
            return
        action = parse_action(pending["text"])
        if action.think:
            say((shorten(action.think), "dim italic"))
        for call in action.tool_calls:
            say((f"→ {shorten(call.name, 100)}", "bold magenta"), f"({json.dumps(call.arguments, ensure_ascii=False)})", limit=500)
    elif node == "act":
        episode = update["episode"]
        step = episode["steps"][-1] if episode["steps"] else None
        if step is None:
            return
        if step["action"]["kind"] == "invalid":
            say(("malformed output: ", "yellow"), "; ".join(step["action"]["errors"]), limit=500)
        for k, call in enumerate(step["calls"]):
            colour = "red" if call["error"] else "green"
            say((f"  ← {shorten(call['tool'], 100)}: ", colour), call["summary"], limit=500)
            if call["tool"] == "listen" and not call["error"]:
                for line in heard_lines(episode, step, k):
                    say(("      ", ""), line, limit=500)


def heard_lines(episode: dict[str, Any], step: dict[str, Any], k: int, most: int = 12) -> list[str]:
    """What the ``k``-th call of ``step`` heard (a ``listen``): each line said with its times, at most ``most``."""
    results = [m for m in episode["messages"][step["message_index"] + 1:] if m.get("role") == "tool"]
    data = results[k].get("data") if k < len(results) and isinstance(results[k].get("data"), dict) else {}
    rows = [row for row in data.get("lines") or [] if isinstance(row, (list, tuple)) and len(row) >= 3]
    shown = [f"{float(row[0]):.2f}s-{float(row[1]):.2f}s {json.dumps(str(row[2]), ensure_ascii=False)}" for row in rows[:most]]
    return shown + ([f"… {len(rows) - most} more line(s) in the trace"] if len(rows) > most else [])
