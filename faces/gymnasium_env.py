"""The Gymnasium face: :class:`GymnasiumTextEnv`, a text-in, text-out ``gymnasium.Env`` over a list of tasks.

Observations are ASCII text: the new messages rendered as lines, with each image shown as a
``<image t=12.50s>`` placeholder; the images themselves are in ``info["images"]`` (PIL), so
image-capable agents get them while the observation stays inside a ``Text`` space. Actions
are model text (the protocol: think, tool calls or answer). ``reset(seed=...)`` picks the
task with the env's seeded RNG, so the same seed gives the same episode.
"""

from __future__ import annotations

import string
from typing import Any

import gymnasium as gym
from gymnasium import spaces

from vagent.env.environment import EnvConfig, VideoEnv
from vagent.env.tasks import Task
from vagent.types import block_image

MAX_TEXT = 65_536
CHARSET = string.printable
_ALLOWED = frozenset(CHARSET)


def render_messages(messages: list[dict[str, Any]]) -> tuple[str, list[Any]]:
    """Messages as ASCII text with image placeholders, plus the images in order."""
    lines, images = [], []
    for message in messages:
        content = message["content"]
        blocks = [{"type": "text", "text": content}] if isinstance(content, str) else content
        parts = []
        for block in blocks:
            if block.get("type") == "image":
                images.append(block_image(block))
                parts.append(f"<image t={block.get('time', 0.0):.2f}s>")
            else:
                parts.append(block.get("text", ""))
        label = message["role"] + (f" {message['name']}" if message.get("name") else "")
        lines.append(f"[{label}]\n" + "\n".join(parts))
    text = "\n".join(lines).encode("ascii", "backslashreplace").decode("ascii")
    return "".join(ch for ch in text if ch in _ALLOWED)[:MAX_TEXT], images


class GymnasiumTextEnv(gym.Env):
    """A Gymnasium environment over ``tasks``; see the module docstring for spaces."""

    metadata = {"render_modes": []}

    def __init__(self, tasks: list[Task], config: EnvConfig | None = None):
        if not tasks:
            raise ValueError("GymnasiumTextEnv needs at least one task")
        self.tasks = tasks
        self.env = VideoEnv(config)
        self.observation_space = spaces.Text(max_length=MAX_TEXT, min_length=0, charset=CHARSET)
        self.action_space = spaces.Text(max_length=4096, min_length=0, charset=CHARSET)

    def reset(self, *, seed: int | None = None, options: dict[str, Any] | None = None):
        super().reset(seed=seed)
        index = (options or {}).get("task_index")
        if index is None:
            index = int(self.np_random.integers(len(self.tasks)))
        messages, info = self.env.reset(self.tasks[index])
        text, images = render_messages(messages)
        return text, {**info, "images": images, "task_index": index}

    def step(self, action: str):
        messages, reward, terminated, truncated, info = self.env.step(str(action))
        text, images = render_messages(messages)
        return text, reward, terminated, truncated, {**info, "images": images}

    def close(self) -> None:
        self.env.close()
