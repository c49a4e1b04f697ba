"""Shared value types: timestamped images and tool observations.

Time convention (everywhere in vagent): a time is seconds on the video's presentation
timeline, measured from the container's start, i.e. what a media player shows as 0:00.
A video stream that starts late (first frame at 1.075 s behind an audio track) keeps
that offset; a video whose only stream starts at a non-zero PTS starts at 0.0.
Times are read from each frame's PTS, never computed as index / fps.
"""

from __future__ import annotations

import base64
import io
from dataclasses import dataclass, field
from typing import Any

from PIL import Image


def format_time(seconds: float) -> str:
    """The one way a timestamp is written for the model: ``t=12.50s``."""
    return f"t={seconds:.2f}s"


@dataclass
class TimedImage:
    """An image taken from the video at ``time`` seconds (see module docstring)."""

    time: float
    image: Image.Image
    note: str = ""

    @property
    def label(self) -> str:
        return format_time(self.time) + (f" ({self.note})" if self.note else "")

    def to_data_url(self, fmt: str = "JPEG", quality: int = 90) -> str:
        """The image as a ``data:`` URL (for HTTP policies and HTML traces)."""
        buffer = io.BytesIO()
        self.image.convert("RGB").save(buffer, format=fmt, quality=quality)
        mime = "image/jpeg" if fmt.upper() == "JPEG" else f"image/{fmt.lower()}"
        return f"data:{mime};base64," + base64.b64encode(buffer.getvalue()).decode("ascii")


def image_block(timed: TimedImage) -> dict[str, Any]:
    """A serialisable chat image block: the image as a JPEG data URL plus its time.

    Messages in vagent keep images in this form so that episode state, traces and HTTP
    requests are plain JSON; :func:`block_image` turns one back into a PIL image.
    """
    return {"type": "image", "image": timed.to_data_url(), "time": timed.time}


def timed_image_blocks(images: list[TimedImage], as_pil: bool = False) -> list[dict[str, Any]]:
    """Each image preceded by its timestamp label (``"\nt=12.50s: "``), as chat blocks.

    This is the one rendering of frames for every consumer (agent, environment, TRL, SFT data),
    so a model sees the same text around its images at inference and in training. ``as_pil``
    keeps PIL images (for TRL) instead of data URLs.
    """
    blocks: list[dict[str, Any]] = []
    for timed in images:
        blocks.append({"type": "text", "text": f"\n{timed.label}: "})
        blocks.append({"type": "image", "image": timed.image} if as_pil else image_block(timed))
    return blocks


def block_image(block: dict[str, Any]) -> Image.Image:
    """The PIL image of an image block (data URL or PIL)."""
    image = block["image"]
    if isinstance(image, Image.Image):
        return image
    payload = image.split(",", 1)[1] if image.startswith("data:") else image
    return Image.open(io.BytesIO(base64.b64decode(payload))).convert("RGB")


@dataclass
class Observation:
    """What a tool (or the environment) returns to the model: text plus timestamped images.

    ``error`` marks observations that report a problem (bad arguments, unknown tool,
    malformed output, exhausted budget); the text says what is allowed instead.
    """

    text: str
    images: list[TimedImage] = field(default_factory=list)
    error: bool = False
    data: dict[str, Any] = field(default_factory=dict)

    @classmethod
    def failure(cls, text: str, **data: Any) -> "Observation":
        return cls(text=text, error=True, data=data)

    def content_blocks(self, as_pil: bool = False) -> list[dict[str, Any]]:
        """Chat content blocks: the text, then each image preceded by its timestamp."""
        return [{"type": "text", "text": self.text}, *timed_image_blocks(self.images, as_pil)]

    def summary(self, limit: int = 100) -> str:
        """One line for terminals and logs."""
        first = self.text.strip().splitlines()[0] if self.text.strip() else ""
        if len(first) > limit:
            first = first[: limit - 1] + "…"
        extra = f" [{len(self.images)} image(s)]" if self.images else ""
        return ("ERROR: " if self.error else "") + first + extra
