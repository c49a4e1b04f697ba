r"""Chat messages for every backend: one place that renders vagent messages and reads model turns back.

vagent's messages (see :mod:`vagent.agent.policy`) become what each backend takes:

- :func:`to_processor_messages`: transformers processors (images as PIL, shrunk to a side);
- :func:`to_openai_messages`: OpenAI-compatible servers (images as data URLs, tool results as
  user turns, consecutive user turns merged);
- tool results, for templates and servers without a ``tool`` role, are user turns wrapped by
  :func:`tool_response`; image placeholder tokens are stripped from all text
  (:func:`strip_placeholders`).

The way back is :func:`protocol_text`: an assistant message split by a server or by TRL (reasoning,
parsed tool calls) folded back into the protocol text the parser reads.

>>> to_openai_messages([{"role": "tool", "name": "detect_scenes", "content": "2 scene(s)"}])[0]["content"][1]["text"]
'2 scene(s)'
>>> protocol_text({"content": "", "reasoning_content": "look", "tool_calls": [{"function": {"name": "detect_scenes", "arguments": "{}"}}]})
'<think>look</think>\n<tool_call>\n{"name": "detect_scenes", "arguments": {}}\n</tool_call>'
"""

from __future__ import annotations

import json
from typing import Any

from vagent.agent.protocol import THINK_CLOSE, THINK_OPEN, ToolCall, render_tool_call
from vagent.types import TimedImage, block_image


def tool_response(name: str, blocks: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """A tool result as the content of a user turn, for backends that do not take the ``tool`` role:
    the blocks (images included) inside ``<tool_response>...</tool_response>``, the tool named first."""
    return [{"type": "text", "text": f"<tool_response>\n[{name}] "}, *blocks, {"type": "text", "text": "\n</tool_response>"}]


IMAGE_PLACEHOLDERS = (
    "<|image_pad|>", "<|video_pad|>", "<|vision_start|>", "<|vision_end|>", "<|vision_pad|>",  # Qwen-VL
    "<image>", "<fake_token_around_image>", "<global-img>",  # SmolVLM / Idefics3
)
"""Tokens the processor expands into image features. Text must never carry them, or the processor
counts more images than it was given: generation suppresses them (as TRL's GRPO does) and text
from elsewhere (a question, a message from another policy) has them stripped."""


def placeholder_token_ids(tokenizer: Any) -> list[int]:
    """Ids of the :data:`IMAGE_PLACEHOLDERS` that ``tokenizer`` has: tokens sampling must never produce."""
    unk = getattr(tokenizer, "unk_token_id", None)
    ids = {tokenizer.convert_tokens_to_ids(token) for token in IMAGE_PLACEHOLDERS}
    return sorted(i for i in ids if isinstance(i, int) and i >= 0 and i != unk)


def strip_placeholders(text: str) -> str:
    """``text`` without image placeholder tokens."""
    for token in IMAGE_PLACEHOLDERS:
        text = text.replace(token, "")
    return text


FRAME_MARK = "[frame]"
"""What a text-only model sees in place of an image: its timestamp line reads ``t=12.50s: [frame]``."""


def text_of_blocks(content: Any) -> str:
    """The content of a message as a text-only model sees it: text blocks joined, every image
    replaced by :data:`FRAME_MARK` (the timestamp text in front of it stays)."""
    if isinstance(content, str):
        return strip_placeholders(content)
    parts = []
    for block in content or []:
        if block.get("type") == "image" or (block.get("type") is None and "image" in block):
            parts.append(FRAME_MARK)
        else:
            parts.append(strip_placeholders(str(block.get("text", ""))))
    return "".join(parts)


def to_processor_messages(
    messages: list[dict[str, Any]],
    *,
    tool_role: bool = True,
    max_image_side: int | None = None,
    text_only: bool = False,
) -> list[dict[str, Any]]:
    """vagent messages → transformers processor messages (content as blocks, images as PIL).

    ``tool_role=False`` turns tool messages into user turns wrapped in ``<tool_response>`` tags,
    for templates that do not know the ``tool`` role. ``text_only=True`` (a causal LM's tokenizer)
    gives every message its content as one string (:func:`text_of_blocks`).
    """
    converted = []
    for message in messages:
        role = message["role"]
        content = message.get("content")
        if text_only:
            given = [{"type": "text", "text": content}] if isinstance(content, str) else list(content or [])
            if role == "tool" and not tool_role:
                converted.append({"role": "user", "content": text_of_blocks(tool_response(message.get("name", "tool"), given))})
            else:
                named = {"name": message["name"]} if role == "tool" and "name" in message else {}
                converted.append({"role": role, "content": text_of_blocks(given), **named})
            continue
        blocks: list[dict[str, Any]] = []
        for block in [{"type": "text", "text": content}] if isinstance(content, str) else content or []:
            kind = block.get("type")
            if kind == "image" or (kind is None and "image" in block):
                image = block_image(block)
                if max_image_side and max(image.size) > max_image_side:
                    image = image.copy()
                    image.thumbnail((max_image_side, max_image_side))
                blocks.append({"type": "image", "image": image})
            elif kind == "text" or "text" in block:
                blocks.append({"type": "text", "text": strip_placeholders(str(block.get("text", "")))})
            else:
                raise ValueError(f"unsupported content block type {kind!r} in a {role} message")
        if role == "tool" and not tool_role:
            converted.append({"role": "user", "content": tool_response(message.get("name", "tool"), blocks)})
            continue
        out: dict[str, Any] = {"role": role, "content": blocks}
        if role == "tool" and "name" in message:
            out["name"] = message["name"]
        converted.append(out)
    return converted


def _image_url(block: dict[str, Any]) -> str:
    image = block.get("image")
    if isinstance(image, str) and (image.startswith(("data:", "http://", "https://"))):
        return image
    return TimedImage(float(block.get("time", 0.0)), block_image(block)).to_data_url()


def _parts(content: Any) -> list[dict[str, Any]]:
    if isinstance(content, str):
        return [{"type": "text", "text": strip_placeholders(content)}]
    parts = []
    for block in content or []:
        kind = block.get("type")
        if kind == "image" or (kind is None and "image" in block):
            parts.append({"type": "image_url", "image_url": {"url": _image_url(block)}})
        elif kind == "image_url":
            parts.append({"type": "image_url", "image_url": block["image_url"]})
        elif "text" in block:
            parts.append({"type": "text", "text": strip_placeholders(str(block["text"]))})
        else:
            raise ValueError(f"unsupported content block type {kind!r}")
    return parts


def _text_only(content: Any) -> str:
    return "".join(part["text"] for part in _parts(content) if part["type"] == "text")


def to_openai_messages(messages: list[dict[str, Any]]) -> list[dict[str, Any]]:
    """vagent messages → OpenAI chat messages (see the module docstring for the rules)."""
    converted: list[dict[str, Any]] = []
    for message in messages:
        role = message["role"]
        if role in ("system", "assistant"):
            converted.append({"role": role, "content": _text_only(message.get("content"))})
            continue
        parts = _parts(message.get("content"))
        if role == "tool":
            parts = tool_response(message.get("name", "tool"), parts)
        elif role != "user":
            raise ValueError(f"unsupported message role {role!r}")
        if converted and converted[-1]["role"] == "user":
            converted[-1]["content"].append({"type": "text", "text": "\n"})
            converted[-1]["content"].extend(parts)
        else:
            converted.append({"role": "user", "content": parts})
    return converted


def protocol_text(message: dict[str, Any]) -> str:
    """The protocol text of one assistant chat message, whoever parsed it (an OpenAI-compatible
    server's completion, TRL's tool loop): reasoning (``reasoning_content`` / ``reasoning``) and
    parsed tool calls (arguments as a dict or JSON text) folded back in, so the parser sees what
    the model wrote."""
    content = message.get("content")
    if isinstance(content, list):
        content = "".join(part.get("text", "") for part in content if isinstance(part, dict))
    text = content or ""
    reasoning = message.get("reasoning_content") or message.get("reasoning")
    if isinstance(reasoning, str) and reasoning.strip() and THINK_OPEN not in text:
        text = f"{THINK_OPEN}{reasoning.strip()}{THINK_CLOSE}\n{text.lstrip()}"
    calls = []
    for call in message.get("tool_calls") or []:
        function = call.get("function", call)
        arguments = function.get("arguments") or {}
        if isinstance(arguments, str):
            try:
                arguments = json.loads(arguments) if arguments.strip() else {}
            except json.JSONDecodeError:
                arguments = {"_raw": arguments}
        if not isinstance(arguments, dict):
            arguments = {}
        calls.append(render_tool_call(ToolCall(str(function.get("name", "")), arguments)))
    if calls:
        text = "\n".join([text.rstrip(), *calls]).strip()
    return text
