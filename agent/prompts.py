"""Prompt text: the system instructions and the first user turn of an episode."""

from __future__ import annotations

import json
import re
import string
from pathlib import Path
from typing import Any

from vagent.tools.video import VideoInfo
from vagent.types import TimedImage, timed_image_blocks

SYSTEM_INSTRUCTIONS = """You answer questions about a video by looking at it with tools.
Every frame you see is preceded by its timestamp, e.g. t=12.50s (seconds from the start of the video).
Each turn, first reason inside <think>...</think>. Then either call one or more tools, each as
<tool_call>{"name": "<tool name>", "arguments": {...}}</tool_call>
and wait for their results, or give the final answer as <answer>...</answer>.
For multiple-choice questions answer with the option letter only. For "when" questions answer with
a time span in seconds like [12.0, 15.5]. For "where" questions answer with a normalised box
[x1, y1, x2, y2] (0..1). Otherwise answer with a short phrase or number."""


def system_prompt(tool_schemas: list[dict[str, Any]], include_schemas: bool) -> str:
    """System text; ``include_schemas`` for backends whose chat template does not list tools."""
    if not include_schemas:
        return SYSTEM_INSTRUCTIONS
    listed = "\n".join(json.dumps(schema, ensure_ascii=False) for schema in tool_schemas)
    return f"{SYSTEM_INSTRUCTIONS}\n\nAvailable tools (JSON schema):\n<tools>\n{listed}\n</tools>"


_LETTERED = re.compile(r"^\s*\(?([A-Z])[\)\.:]\s*")


def letter_options(options: list[str] | None) -> list[str]:
    """Options as ``"A) text"`` lines, keeping letters the user already wrote.

    >>> letter_options(["red", "B) blue"])
    ['A) red', 'B) blue']
    """
    lettered = []
    for position, option in enumerate(options or []):
        text = _LETTERED.sub("", option).strip()
        lettered.append(f"{string.ascii_uppercase[position]}) {text}")
    return lettered


def question_message(question: str, options: list[str] | None, duration: float, overview: list[TimedImage],
                     video: VideoInfo | None = None) -> dict[str, Any]:
    """The first user turn: the question text, then each overview frame after its timestamp.

    Beside the content a model reads, ``data`` holds the question, the options (without letters),
    the duration and, given ``video``, its file name (without folder and suffix), frame count, frame rate
    and size, for policies that read fields rather than text (the scripted baseline, which reads "how
    does testvideo end" as a question about the video); chat backends render only role and content.
    """
    content = [{"type": "text", "text": question_text(question, options, duration, len(overview), video)}, *timed_image_blocks(overview)]
    texts = [_LETTERED.sub("", option).strip() for option in options or []]
    data: dict[str, Any] = {"question": question.strip(), "options": texts, "duration": duration}
    if video is not None:
        data.update(name=Path(video.path).stem, frames=video.num_frames, fps=video.fps, width=video.width, height=video.height)
    return {"role": "user", "content": content, "data": data}


def question_text(question: str, options: list[str] | None, duration: float, num_overview: int,
                  video: VideoInfo | None = None) -> str:
    """The first user turn's text (the overview frames follow it as images)."""
    lines = [f"Video duration: {duration:.2f}s."]
    if video is not None:
        lines.append(f"It has {video.num_frames} frames at {video.fps:.3g} fps, {video.width}x{video.height} pixels.")
    if num_overview:
        lines.append(f"Here are {num_overview} overview frames sampled evenly across the video.")
    lines.append(f"Question: {question.strip()}")
    if options:
        lines.append("Options:")
        lines.extend(letter_options(options))
    return "\n".join(lines)
