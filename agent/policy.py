"""The policy interface: anything that turns chat messages into the next model text.

Messages use vagent's chat format: ``{"role": "system"|"user"|"assistant"|"tool", "content":
str | list[block]}`` where a block is ``{"type": "text", "text": ...}`` or an image block
``{"type": "image", "image": <JPEG data URL>, "time": seconds}`` (see ``vagent.types``).
Each image is preceded by a text block holding its timestamp. Tool messages also carry
``"name"``. ``tools`` are the tool schemas in OpenAI function-calling form.
"""

from __future__ import annotations

from typing import Any, Protocol, runtime_checkable

from vagent.agent.episode import Generation


@runtime_checkable
class Policy(Protocol):
    """One interface for transformers VLMs, OpenAI-compatible servers and the scripted baseline."""

    name: str
    include_schemas: bool
    """Whether the system prompt must list the tool schemas (False when the chat template does)."""

    # Optional: ``concurrent = True`` when ``generate`` may be called from several threads at once
    # (test-time scaling then samples trajectories in parallel).
    # Optional: ``portable = True`` when a pickled copy in another process answers exactly as this
    # policy would (no sampling state, cheap to copy): evaluation then runs tasks in processes.

    def generate(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> Generation:
        """The model's next turn for this conversation."""
        ...
