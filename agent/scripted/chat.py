"""How the scripted policy reads the chat: the question, options and duration from the first user
message's ``data`` and its overview frames, and each tool result's structured ``data`` (never text).

A tool message carries ``name``, ``content`` (text and timestamped image blocks), ``data`` (the
tool's structured result, :class:`vagent.types.Observation`'s ``data``: ``scenes``, ``hits``,
``lines``, ``times``, ...), ``error`` and ``budget_spent`` (the budget a call spent, if any); the
notice after a turn that spent a budget is a user message with ``budget_spent``. See
:meth:`vagent.agent.episode.Episode.tool_result`.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

from PIL import Image

from vagent.agent.protocol import ToolCall, parse_action
from vagent.agent.scripted.shorthand import name_as_the_video, plain_words
from vagent.agent.scripted.timeexpr import time_ref
from vagent.types import block_image


@dataclass
class Result:
    """One tool result: the call that asked for it, its structured data and the frames it showed."""

    name: str
    arguments: dict[str, Any]
    data: dict[str, Any]
    images: list[tuple[float, Image.Image]]
    error: bool = False


@dataclass
class Conversation:
    question: str = ""
    options: list[str] = field(default_factory=list)
    duration: float = 0.0
    frames: int = 0
    """The video's frame count, frame rate and size as given with the question (0 when not given)."""
    fps: float = 0.0
    width: int = 0
    height: int = 0
    overview: list[tuple[float, Image.Image]] = field(default_factory=list)
    turns: list[list[Result]] = field(default_factory=list)
    final: bool = False
    """A budget is spent: this turn must answer."""

    @property
    def results(self) -> list[Result]:
        return [r for turn in self.turns for r in turn]


def succeeded(result: Result) -> bool:
    """Whether a tool result is real evidence (not an error, a refusal or an empty list)."""
    if result.error:
        return False
    data = result.data
    if result.name == "detect_scenes":
        return bool(data.get("scenes"))
    if result.name == "read_text":
        return isinstance(data.get("lines"), list)
    if result.name == "search_clips":
        return bool(data.get("hits"))
    if result.name == "listen":
        return bool(data.get("lines"))
    if result.name in ("crop_clip", "zoom_frame"):
        return bool(result.images)
    return False


def _blocks(content: Any) -> list[dict[str, Any]]:
    return [{"type": "text", "text": content}] if isinstance(content, str) else list(content or [])


def _text_of(content: Any) -> str:
    return "\n".join(b.get("text", "") for b in _blocks(content) if b.get("type") == "text")


def _images_of(content: Any) -> list[tuple[float, Image.Image]]:
    out = []
    for block in _blocks(content):
        if block.get("type") == "image":
            try:
                out.append((float(block.get("time", math.nan)), block_image(block)))
            except Exception:  # an unreadable image is simply not seen
                continue
    return out


_SENTENCE_END = re.compile(r"(?<=[.!?])\s+(?=[A-Za-z])")
_ABBREVIATION = re.compile(r"\b(?:e\.g|i\.e|vs|approx|etc|ca|st|mr|mrs|ms|dr|no)\.$", re.I)
_ASKS = re.compile(r"^\s*(?:how|what|whats|when|which|where|who|whose|why|does|do|did|is|are|was|were|can|could|at|around|roughly)\b", re.I)
_TAG = re.compile(r"\b(?:right|correct|yeah|yes|ok|okay|i think|i guess|isn't it|no)\s*\?+\s*$", re.I)
"""A statement typed as a question for agreement ("it just fades light and dark, right?"), not what is asked."""
_POINTS_BACK = re.compile(r"\b(?:one|ones|they|them|these|those|then|such|the same)\b", re.I)
"""Words by which a question points back to the statement before it ("it" means the video, "that" starts a clause)."""


def _sentences(text: str) -> list[str]:
    """``text`` split into sentences, also where a sentence starts in lower case ("... i think. at about what
    second ..."), not after an abbreviation ("approx. 2 s")."""
    pieces: list[str] = []
    for piece in _SENTENCE_END.split(text.strip()):
        if pieces and _ABBREVIATION.search(pieces[-1]):
            pieces[-1] += " " + piece
        else:
            pieces.append(piece)
    return pieces or [""]


def asked_part(question: str) -> str:
    """The question without a statement before it that only sets the scene: "The video fades in and out.
    How many times is it fully white?" is asked as its last sentence, since the statement's words
    (black, white, fades) are not what is asked; a statement typed for agreement ("it just goes light and
    dark, right?") is one too. The statement stays when it names a time or the question points back to it
    ("Which one comes first?").

    >>> asked_part("The video repeatedly fades between black and white. How many times does the screen become fully white?")
    'How many times does the screen become fully white?'
    >>> asked_part("Several colours appear. Which one comes first?")
    'Several colours appear. Which one comes first?'
    >>> asked_part("At 2 s a word appears. What word is shown?")
    'At 2 s a word appears. What word is shown?'
    >>> asked_part("it just fades between black and white i think. at about what second is it first fully white?")
    'at about what second is it first fully white?'
    >>> asked_part("so it only goes light and dark right? how many times does it go fully black")
    'how many times does it go fully black'
    >>> asked_part("Is it red? Or is it blue?")
    'Is it red? Or is it blue?'
    """
    *said, asked = _sentences(question)
    if not said or not (asked.rstrip().endswith("?") or _ASKS.match(asked)) or _POINTS_BACK.search(asked):
        return question
    if any(s.rstrip().endswith("?") and not _TAG.search(s) or time_ref(s, 1e9) is not None for s in said):
        return question
    return asked


def read_conversation(messages: list[dict[str, Any]]) -> Conversation:
    """The question, the overview and every tool result so far, by turn."""
    convo = Conversation()
    users = [i for i, m in enumerate(messages) if m.get("role") == "user"]
    if not users:
        return convo
    first = messages[users[0]]
    data = first.get("data") if isinstance(first.get("data"), dict) else {}  # see prompts.question_message
    convo.question = asked_part(name_as_the_video(plain_words(str(data.get("question") or "")), str(data.get("name") or "")))
    convo.options = [str(option) for option in data.get("options") or []]
    duration = data.get("duration")
    convo.duration = float(duration) if isinstance(duration, (int, float)) and math.isfinite(duration) else 0.0
    for name in ("frames", "fps", "width", "height"):
        value = data.get(name)
        if isinstance(value, (int, float)) and math.isfinite(value) and value > 0:
            setattr(convo, name, type(getattr(convo, name))(value))
    convo.overview = _images_of(first["content"])
    pending: list[ToolCall] = []
    for message in messages[users[0] + 1:]:
        role = message.get("role")
        if role == "assistant":
            pending = list(parse_action(_text_of(message.get("content"))).tool_calls)
            convo.turns.append([])
        elif role == "tool" and convo.turns:
            call = pending.pop(0) if pending else ToolCall(str(message.get("name", "")), {})
            data = message.get("data")
            convo.turns[-1].append(Result(call.name, call.arguments, data if isinstance(data, dict) else {},
                                          _images_of(message.get("content")), bool(message.get("error"))))
        if role in ("tool", "user") and message.get("budget_spent"):
            convo.final = True
    return convo
