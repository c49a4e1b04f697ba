"""Drawing and encoding the synthetic videos: the palette, moving shapes, backgrounds, H.264 output.

The families in :mod:`vagent.env.synthetic` describe what is on screen and when; this module puts
it into frames (frame ``i`` has PTS ``i / fps``) with deterministic bytes.
"""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import av
import numpy as np
from PIL import Image, ImageDraw

# Saturated, bright colours (HSV saturation > 0.7, value >= 0.8) at well separated hues, so a
# colour name can be read back from pixels by hue alone. Backgrounds of the appear_when /
# corner_text / where_at families are dark (value < 0.4) and never mistaken for these.
PALETTE: dict[str, tuple[int, int, int]] = {
    "red": (235, 35, 35),
    "orange": (250, 140, 20),
    "yellow": (245, 225, 30),
    "green": (40, 205, 60),
    "cyan": (30, 215, 230),
    "blue": (45, 90, 245),
    "purple": (150, 60, 240),
    "magenta": (235, 45, 200),
}
WHITE = (250, 250, 250)
DARK_BACKGROUNDS: tuple[tuple[int, int, int], ...] = (  # HSV value <= 0.31
    (38, 38, 42),  # charcoal
    (30, 40, 70),  # navy
    (70, 55, 40),  # brown
    (35, 70, 50),  # dark green
    (65, 45, 75),  # dark purple
    (40, 65, 75),  # dark teal
)
# Pale, unsaturated (HSV saturation < 0.25) backgrounds of the cue and decoy segments: a jump
# from a dark base to one of these is a large brightness change, which every content-based
# scene detector reports, and they never look like a saturated PALETTE colour.
PALE_BACKGROUNDS: tuple[tuple[int, int, int], ...] = (
    (190, 190, 190),  # light grey
    (215, 205, 180),  # beige
    (180, 195, 215),  # pale blue
    (185, 210, 185),  # pale green
    (215, 185, 195),  # pale pink
)
SHAPES: tuple[str, ...] = ("circle", "square", "triangle", "diamond")

@dataclass
class Sprite:
    shape: str
    color: tuple[int, int, int]
    size: int
    x0: float
    y0: float
    vx: float
    vy: float
    start: int = 0  # first frame index shown
    stop: int = 1 << 30  # first frame index no longer shown

    def position(self, t: float, width: int, height: int) -> tuple[int, int]:
        return (_bounce(self.x0 + self.vx * t, width - self.size), _bounce(self.y0 + self.vy * t, height - self.size))


def _bounce(value: float, limit: int) -> int:
    """Reflect ``value`` into ``[0, limit]`` (a shape bouncing off the frame edges)."""
    period = 2 * limit
    value = value % period
    return int(round(value if value <= limit else period - value))


def _draw_shape(draw: ImageDraw.ImageDraw, shape: str, x: int, y: int, size: int, color: tuple[int, int, int]) -> None:
    box = (x, y, x + size - 1, y + size - 1)
    if shape == "circle":
        draw.ellipse(box, fill=color)
    elif shape == "square":
        draw.rectangle(box, fill=color)
    elif shape == "triangle":
        draw.polygon([(x + size / 2, y), (x + size - 1, y + size - 1), (x, y + size - 1)], fill=color)
    elif shape == "diamond":
        half = size / 2
        draw.polygon([(x + half, y), (x + size - 1, y + half), (x + half, y + size - 1), (x, y + half)], fill=color)
    else:  # pragma: no cover - guarded by SHAPES
        raise ValueError(f"unknown shape {shape!r}")


def random_sprite(rng: np.random.Generator, shape: str, color: tuple[int, int, int], size: int, width: int, height: int) -> Sprite:
    speed = rng.uniform(15, 45)
    angle = rng.uniform(0, 2 * np.pi)
    return Sprite(
        shape=shape,
        color=color,
        size=size,
        x0=float(rng.uniform(0, width - size)),
        y0=float(rng.uniform(0, height - size)),
        vx=float(speed * np.cos(angle)),
        vy=float(speed * np.sin(angle)),
    )


def distractors(rng: np.random.Generator, count: int, colors: list[str], size: int, width: int, height: int) -> list[Sprite]:
    return [
        random_sprite(rng, str(rng.choice(SHAPES)), PALETTE[str(rng.choice(colors))], size, width, height)
        for _ in range(count)
    ]


def place_segments(rng: np.random.Generator, total: int, lengths: list[int], gap: int) -> list[tuple[int, int]] | None:
    """Non-overlapping ``[start, stop)`` frame ranges with ``gap`` frames around each; None if they don't fit."""
    for _ in range(200):
        placed: list[tuple[int, int]] = []
        for length in lengths:
            low, high = gap, total - gap - length
            if high < low:
                return None
            start = int(rng.integers(low, high + 1))
            if all(start + length + gap <= a or start >= b + gap for a, b in placed):
                placed.append((start, start + length))
            else:
                break
        else:
            return placed
    return None


class _Renderer:
    """Writes frames to an H.264 mp4 with PTS = frame index / fps."""

    def __init__(self, path: Path, width: int, height: int, fps: int, crf: int):
        self.container = av.open(str(path), mode="w", format="mp4")
        stream = self.container.add_stream("libx264", rate=fps)
        stream.width, stream.height, stream.pix_fmt = width, height, "yuv420p"
        stream.codec_context.thread_count = 1  # deterministic bytes
        stream.codec_context.options = {"crf": str(crf), "preset": "veryfast", "g": str(2 * fps), "bf": "0"}
        self.stream = stream
        self.index = 0

    def write(self, rgb: np.ndarray) -> None:
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
        frame.pts = self.index  # encoder time base is 1/fps (from rate)
        self.index += 1
        for packet in self.stream.encode(frame):
            self.container.mux(packet)

    def close(self) -> None:
        for packet in self.stream.encode():
            self.container.mux(packet)
        self.container.close()


def render(
    path: Path,
    k: dict[str, Any],
    background: Callable[[int], np.ndarray],
    sprites: list[Sprite],
    overlay: Callable[[int, ImageDraw.ImageDraw], None] | None = None,
) -> int:
    width, height, fps = k["width"], k["height"], k["fps"]
    frames = int(round(k["duration"] * fps))
    renderer = _Renderer(path, width, height, fps, k["crf"])
    try:
        for index in range(frames):
            image = Image.fromarray(background(index))
            draw = ImageDraw.Draw(image)
            t = index / fps
            for sprite in sprites:
                if sprite.start <= index < sprite.stop:
                    x, y = sprite.position(t, width, height)
                    _draw_shape(draw, sprite.shape, x, y, sprite.size, sprite.color)
            if overlay is not None:
                overlay(index, draw)
            renderer.write(np.asarray(image))
    finally:
        renderer.close()
    return frames


def solid(width: int, height: int, color: tuple[int, int, int]) -> np.ndarray:
    return np.broadcast_to(np.array(color, dtype=np.uint8), (height, width, 3))


def segment_backgrounds(
    rng: np.random.Generator, k: dict[str, Any], event: tuple[int, int], decoys: list[tuple[int, int]]
) -> tuple[Callable[[int], np.ndarray], list[tuple[int, int]]]:
    """Dark base background; the event and each decoy segment get their own pale colour."""
    base = DARK_BACKGROUNDS[int(rng.integers(len(DARK_BACKGROUNDS)))]
    segments = ([event] if k["scene_cue"] else []) + decoys
    order = rng.permutation(len(PALE_BACKGROUNDS))
    colors = [PALE_BACKGROUNDS[order[i % len(order)]] for i in range(len(segments))]
    planes = {color: solid(k["width"], k["height"], color) for color in [base, *colors]}

    def background(index: int) -> np.ndarray:
        for (start, stop), color in zip(segments, colors):
            if start <= index < stop:
                return planes[color]
        return planes[base]

    return background, segments


def noise_background(rng: np.random.Generator, width: int, height: int) -> np.ndarray:
    """Blocky dark noise (8x8 px cells, values 20-140): busy but cheap to encode."""
    cells = rng.integers(20, 141, size=((height + 7) // 8, (width + 7) // 8, 3), dtype=np.uint8)
    return np.ascontiguousarray(np.kron(cells, np.ones((8, 8, 1), dtype=np.uint8))[:height, :width])
