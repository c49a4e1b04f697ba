"""How the scripted policy looks: pixel heuristics on returned frames, and reading the chat.

Colour masks, a white box, text-like corners; the question, options and tool results parsed
back out of the messages. Used by :mod:`vagent.agent.scripted` only.
"""

from __future__ import annotations

import math
import re
from dataclasses import dataclass, field
from typing import Any

import numpy as np
from PIL import Image

from vagent.agent.protocol import ToolCall, parse_action
from vagent.types import block_image

COLOR_HUES: dict[str, float] = {
    "red": 0, "orange": 30, "yellow": 55, "green": 125, "cyan": 185, "blue": 225, "purple": 270, "magenta": 312,
}
NEUTRAL_COLORS = ("white", "black", "gray", "grey")
_COLOR_WORDS = "|".join([*COLOR_HUES, *NEUTRAL_COLORS])
OBJECT = re.compile(rf"\b({_COLOR_WORDS})\s+([a-z]+)", re.I)
TIME_IN_Q = re.compile(r"t\s*=\s*(\d+(?:\.\d+)?)\s*s|\bat\s+(\d+(?:\.\d+)?)\s*(?:s|secs?|seconds)\b", re.I)
SCENE_LINE = re.compile(r"scene\s+\d+:\s*([\d.]+)s\s*-\s*([\d.]+)s")
HIT_LINE = re.compile(r"^\s*\d+\.\s*([\d.]+)s-([\d.]+)s\s+score=([-\d.]+)\s+\(best t=([\d.]+)s\)", re.M)
OCR_LINE = re.compile(r'^(".*")\s+\(score\s+([\d.]+)\)\s*$', re.M)
_STOP = set("a an the is are was were what which who whom when where why how does do did in on of at to for from "
            "by with this that these those video clip shown show shows appear appears there it its be".split())
CORNER_BOXES = {
    "top-left": [0.0, 0.0, 0.4, 0.3], "top-right": [0.6, 0.0, 1.0, 0.3],
    "bottom-left": [0.0, 0.7, 0.4, 1.0], "bottom-right": [0.6, 0.7, 1.0, 1.0],
}
MAX_CROP_FRAMES = 16


# ------------------------------------------------------------------------------ looking at pixels
def _hsv(image: Image.Image) -> tuple[np.ndarray, np.ndarray, np.ndarray]:
    hsv = np.asarray(image.convert("RGB").convert("HSV"), dtype=np.float32)
    return hsv[..., 0] * (360.0 / 255.0), hsv[..., 1] / 255.0, hsv[..., 2] / 255.0


def color_mask(image: Image.Image, color: str) -> np.ndarray:
    """Pixels of a named colour: hue nearest to ``color`` for saturated colours, else by S/V."""
    h, s, v = _hsv(image)
    if color == "white":
        return (s < 0.2) & (v > 0.82)
    if color == "black":
        return v < 0.12
    if color in ("gray", "grey"):
        return (s < 0.15) & (v >= 0.25) & (v <= 0.8)
    hues = np.array(list(COLOR_HUES.values()), dtype=np.float32)
    dist = np.abs((h[..., None] - hues + 180.0) % 360.0 - 180.0)
    nearest = np.argmin(dist, axis=-1)
    index = list(COLOR_HUES).index(color)
    return (s > 0.5) & (v > 0.36) & (nearest == index) & (dist[..., index] <= 25.0)


def contains(image: Image.Image, color: str) -> bool:
    """Whether a blob of ``color`` covers at least ~0.2% of the image."""
    return int(color_mask(image, color).sum()) >= max(12, int(0.002 * image.width * image.height))


def dominant_color(image: Image.Image) -> str | None:
    """The saturated colour covering most of the image (None when no colour covers 30%)."""
    counts = {name: int(color_mask(image, name).sum()) for name in COLOR_HUES}
    name = max(counts, key=counts.get)
    return name if counts[name] >= 0.3 * image.width * image.height else None


def object_box(image: Image.Image, color: str) -> list[float] | None:
    """Normalised bounding box of the main ``color`` blob (rows/columns with >= 3 such pixels)."""
    mask = color_mask(image, color)
    rows, cols = np.where(mask.sum(1) >= 3)[0], np.where(mask.sum(0) >= 3)[0]
    if len(rows) < 3 or len(cols) < 3:
        return None
    # keep the largest contiguous run of rows / columns (drops stray pixels elsewhere)
    rows, cols = _largest_run(rows), _largest_run(cols)
    w, h = image.size
    return [cols[0] / w, rows[0] / h, (cols[-1] + 1) / w, (rows[-1] + 1) / h]


def _largest_run(indices: np.ndarray) -> np.ndarray:
    runs = np.split(indices, np.where(np.diff(indices) > 2)[0] + 1)
    return max(runs, key=len)


def text_likeness(image: Image.Image, box: list[float]) -> int:
    """Bright pixels next to near-black ones inside ``box``: a caption label scores high."""
    w, h = image.size
    crop = image.crop((int(box[0] * w), int(box[1] * h), int(box[2] * w), int(box[3] * h)))
    _, s, v = _hsv(crop)
    dark, bright = v < 0.12, (v > 0.7) & (s < 0.3)
    near = dark.copy()
    for dy, dx in ((0, 1), (0, -1), (1, 0), (-1, 0), (0, 2), (0, -2), (2, 0), (-2, 0)):
        near |= np.roll(np.roll(dark, dy, 0), dx, 1)
    return int((bright & near).sum())


# ------------------------------------------------------------------------------ reading the chat
@dataclass
class Result:
    name: str
    arguments: dict[str, Any]
    text: str
    images: list[tuple[float, Image.Image]]


@dataclass
class Conversation:
    question: str = ""
    options: list[str] = field(default_factory=list)
    duration: float = 0.0
    overview: list[tuple[float, Image.Image]] = field(default_factory=list)
    turns: list[list[Result]] = field(default_factory=list)
    final: bool = False

    @property
    def results(self) -> list[Result]:
        return [r for turn in self.turns for r in turn]


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


def read_conversation(messages: list[dict[str, Any]]) -> Conversation:
    convo = Conversation()
    users = [i for i, m in enumerate(messages) if m.get("role") == "user"]
    if not users:
        return convo
    first = messages[users[0]]
    texts = [b.get("text", "") for b in _blocks(first["content"]) if b.get("type") == "text"]
    text = texts[0] if texts else ""  # the question block; the others are image time labels
    if m := re.search(r"Video duration:\s*([\d.]+)s", text):
        convo.duration = float(m.group(1))
    question = text.split("Question:", 1)[1] if "Question:" in text else text
    question, _, options = question.partition("\nOptions:")
    convo.question = question.strip()
    convo.options = [m.group(1).strip() for m in re.finditer(r"^\s*[A-Z]\)\s*(.+)$", options, re.M)]
    convo.overview = _images_of(first["content"])
    pending: list[ToolCall] = []
    for message in messages[users[0] + 1:]:
        role = message.get("role")
        if role == "assistant":
            pending = list(parse_action(_text_of(message.get("content"))).tool_calls)
            convo.turns.append([])
        elif role == "tool" and convo.turns:
            call = pending.pop(0) if pending else ToolCall(str(message.get("name", "")), {})
            content = message.get("content")
            convo.turns[-1].append(Result(call.name, call.arguments, _text_of(content), _images_of(content)))
            if "budget is used up" in _text_of(content):  # the notice ends the last tool result
                convo.final = True
        elif role == "user" and "budget is used up" in _text_of(message.get("content")):
            convo.final = True
    return convo


def classify_question(question: str, options: list[str] | None = None) -> str:
    """``when``, ``where``, ``count``, ``first``, ``text_event``, ``read_at``, ``change``, ``look_at``, ``read``
    or ``general``.

    >>> classify_question("When does the red triangle appear in the video?")
    'when'
    >>> classify_question("Which colour appears first?", ["red", "blue"])
    'first'
    >>> classify_question("What number is shown at 2.0 seconds?")
    'read_at'
    >>> classify_question('What is on screen after "READY" appears?', ["a", "b"])
    'text_event'
    """
    q = question.lower()
    if options and all(o.strip().lower() in COLOR_HUES for o in options) and re.search(r"\b(first|earliest|last|final)\b", q):
        return "first"
    if re.search(r"\bhow many\b", q) and re.search(r"\b(cuts?|scenes?|shots?|transitions?)\b", q):
        return "count"
    if re.search(r"\bwhere\b", q) and TIME_IN_Q.search(question) and OBJECT.search(question):
        return "where"
    if re.search(r"\bwhen\b|what time|time span|at what point", q) and OBJECT.search(question):
        return "when"
    from vagent.agent._asking import asks_for_change, asks_for_colour, asks_for_text, named_text, order_word, time_ref

    if named_text(question) and order_word(question) and (asks_for_text(question) or order_word(question) != "when"
                                                          or re.search(r"^\s*when\b", q)):
        return "text_event"
    if options and re.search(r"\b(first|earlier|earliest|last|later|latest)\b", q) and not all(
            o.strip().lower() in (*COLOR_HUES, *NEUTRAL_COLORS, "bright", "dark") for o in options):
        return "text_order"
    has_time = time_ref(question, 1e9) is not None
    if has_time and asks_for_text(question):
        return "read_at"
    if asks_for_change(question) and re.search(r"^\s*when\b|\bwhat (time|second)\b|\bat what\b|\bwhich second\b|\bis there\b|\bdoes the (picture|shot|scene)\b", q):
        return "change"
    if has_time and asks_for_colour(question):
        return "look_at"
    if not options and re.search(r"\b(code|text|written|word|read|caption|sign|label|says?)\b", q):
        return "read"
    return "general"


# ------------------------------------------------------------------------------ small helpers
def fmt_spans(spans: list[tuple[float, float]]) -> str:
    return ", ".join(f"[{a:.2f}, {b:.2f}]" for a, b in spans)


def fmt_box(box: list[float]) -> str:
    return "[" + ", ".join(f"{min(max(v, 0.0), 1.0):.3f}" for v in box) + "]"


def edit_distance(a: str, b: str) -> int:
    row = list(range(len(b) + 1))
    for i, ca in enumerate(a, 1):
        prev, row[0] = row[0], i
        for j, cb in enumerate(b, 1):
            prev, row[j] = row[j], min(row[j] + 1, row[j - 1] + 1, prev + (ca != cb))
    return row[-1]


def clean_code(text: str) -> str:
    return re.sub(r"[^A-Za-z0-9]", "", text).upper()


def key_phrase(question: str, limit: int = 8) -> str:
    words = [w for w in re.findall(r"[A-Za-z0-9']+", question) if w.lower() not in _STOP]
    return " ".join(words[:limit]) or question.strip()[:80]
