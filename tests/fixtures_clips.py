"""Generated clips for the scripted policy's question tests, and the helpers that ask about them.

Loaded by ``tests/conftest.py`` (``pytest_plugins``). The clips several test files ask about are built
once per test process (session scope), and every question about a clip shares one cache folder beside
it (``ask``): its index and its text reads are made once, not once per test.
"""

from __future__ import annotations

from pathlib import Path
from typing import Callable

import av
import pytest
from PIL import Image, ImageDraw, ImageFont

from vagent.agent.episode import Budget, Episode
from vagent.agent.graph import run_episode
from vagent.agent.measures import guessed
from vagent.agent.scripted import ScriptedPolicy
from vagent.answers import parse_number
from vagent.tools.index import IndexSettings
from vagent.tools.registry import VideoTools


def write_clip(path: Path, picture_at: Callable[[float], Image.Image], frames: int = 40, fps: int = 10) -> Path:
    """An H.264 clip whose frame at ``t`` seconds is ``picture_at(t)``."""
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=fps)
        stream.width, stream.height = picture_at(0.0).size
        stream.pix_fmt = "yuv420p"
        for i in range(frames):
            out.mux(stream.encode(av.VideoFrame.from_image(picture_at(i / fps)).reformat(format="yuv420p")))
        out.mux(stream.encode())
    return path


def segments(segments: list[tuple[float, tuple[int, int, int]]], size: tuple[int, int] = (160, 120)) -> Callable[[float], Image.Image]:
    """Plain pictures: the colour of the last segment started by ``t``."""
    return lambda t: Image.new("RGB", size, [rgb for start, rgb in segments if t >= start - 1e-9][-1])


def ask(clip: Path, question: str, options: list[str] | None = None):
    """Run the scripted policy on ``question``; the index and text reads are cached beside the clip."""
    tools = VideoTools.open(clip, IndexSettings(clip_pretrained=None, cache_dir=clip.parent / "cache"))
    try:
        episode = Episode.start(tools, question, options, budget=Budget(max_turns=6))
        return run_episode(episode, ScriptedPolicy())
    finally:
        tools.close()


def check_answers(clip: Path, cases: list[tuple[str, list[str] | None, object]]) -> None:
    """Each question gets its expected answer (a float: within 0.15 of a number read), none a marked guess."""
    for question, options, expected in cases:
        state = ask(clip, question, options)
        think = (state.steps[-1].get("action") or {}).get("think", "")
        if isinstance(expected, float):  # a time or duration: within a frame or two
            value = parse_number(state.answer or "")
            assert value is not None and abs(value - expected) <= 0.15, (question, state.answer, think)
        else:
            assert state.answer == expected, (question, state.answer, think)
        assert not guessed(state), (question, think)


CARDS = [(0.0, (120, 120, 120)), (1.0, (210, 40, 40)), (2.0, (120, 120, 120)), (3.0, (210, 40, 40)), (3.5, (40, 170, 60))]
MESSAGES = [(0.0, "BOOT OK"), (1.5, "LOADING MAP"), (3.0, "READY PLAYER")]


@pytest.fixture(scope="session")
def muted_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """3 s of muted backgrounds under a white counter line and a gray strip (6% of the picture), as
    PySceneDetect's counter clip: a bluish gray (what a viewer calls gray), a dull red, a dull green."""
    plain = segments([(0.0, (87, 96, 107)), (1.0, (143, 91, 86)), (2.0, (79, 127, 81))], (320, 180))

    def picture_at(t: float) -> Image.Image:
        image = plain(t)
        draw = ImageDraw.Draw(image)
        draw.text((20, 20), f"Frame = {round(t * 10) + 1}", fill="white", font=ImageFont.load_default(size=24))
        draw.rectangle((0, 169, 319, 179), fill=(128, 128, 128))
        return image
    return write_clip(tmp_path_factory.mktemp("muted") / "muted.mp4", picture_at, frames=30)


@pytest.fixture(scope="session")
def fade_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """4 s: fades in from black to white until 1.5 s, white until 2.5 s, fades out to black at 4 s."""
    def level(t: float) -> int:
        return int(255 * min(1.0, t / 1.5, max(0.0, (4.0 - t) / 1.5)))
    return write_clip(tmp_path_factory.mktemp("fade") / "fade.mp4", lambda t: Image.new("RGB", (160, 120), (level(t),) * 3))


@pytest.fixture(scope="session")
def messages_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    def picture_at(t: float) -> Image.Image:
        image = Image.new("RGB", (480, 270), (20, 24, 30))
        draw = ImageDraw.Draw(image)
        draw.text((60, 110), [text for start, text in MESSAGES if t >= start - 1e-9][-1], fill="white", font=ImageFont.load_default(size=36))
        draw.text((400, 12), "CH 7", fill="white", font=ImageFont.load_default(size=24))
        return image
    return write_clip(tmp_path_factory.mktemp("messages") / "messages.mp4", picture_at, frames=45)


@pytest.fixture(scope="session")
def transitions_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """7 s at 10 fps: "HELLO" on a light top / dark bottom picture until a hard cut to black at 1 s,
    black until 2 s, a fade in (2-3 s) to the picture with "WORLD" instead, held until 4.5 s, a fade out
    to black (4.5-5.5 s), black to the end."""
    def level(t: float) -> float:
        return 1.0 if t < 1.0 else 0.0 if t < 2.0 else min(1.0, t - 2.0) if t < 4.5 else max(0.0, 5.5 - t)

    def picture_at(t: float) -> Image.Image:
        image = Image.new("RGB", (320, 180), (200, 200, 190))
        draw = ImageDraw.Draw(image)
        draw.rectangle((0, 90, 319, 179), fill=(60, 70, 60))
        draw.text((100, 30), "HELLO" if t < 1.0 else "WORLD", fill=(20, 20, 20), font=ImageFont.load_default(size=32))
        return Image.eval(image, lambda v: int(v * level(t)))
    return write_clip(tmp_path_factory.mktemp("transitions") / "transitions.mp4", picture_at, frames=70)


@pytest.fixture(scope="session")
def cards_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """4.5 s at 10 fps: gray until 1 s, red until 2 s, gray until 3 s, red until 3.5 s, then green (a hard cut at
    each change); a white "Frame = N" (N = frame index + 1) at the top left, "Clock T" (T the time) at the bottom left."""
    def picture_at(t: float) -> Image.Image:
        image = Image.new("RGB", (320, 180), [rgb for start, rgb in CARDS if t >= start - 1e-9][-1])
        draw = ImageDraw.Draw(image)
        draw.text((12, 10), f"Frame = {round(t * 10) + 1}", fill="white", font=ImageFont.load_default(size=22))
        draw.text((12, 140), f"Clock {t:.1f}", fill="white", font=ImageFont.load_default(size=22))
        return image
    return write_clip(tmp_path_factory.mktemp("cards") / "cards.mp4", picture_at, frames=45)


@pytest.fixture(scope="session")
def console_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """6 s at 10 fps. Shot 1 (0-3 s, dark blue): "LINK READY" at the top, "PING OK" below it from 1.0 to 1.4 s and
    from 2.0 to 2.4 s. Shot 2 (3-6 s, dark green): "SCAN STARTED" at the top, "ENTER YOUR NAME" under it from 5.0 s."""
    def picture_at(t: float) -> Image.Image:
        second = t >= 3.0 - 1e-9
        image = Image.new("RGB", (480, 270), (20, 70, 30) if second else (20, 30, 90))
        draw, font = ImageDraw.Draw(image), ImageFont.load_default(size=30)
        draw.text((60, 60), "SCAN STARTED" if second else "LINK READY", fill="white", font=font)
        if (second and t >= 5.0 - 1e-9) or (not second and (1.0 - 1e-9 <= t < 1.4 or 2.0 - 1e-9 <= t < 2.4)):
            draw.text((60, 110), "ENTER YOUR NAME" if second else "PING OK", fill="white", font=font)
        return image
    return write_clip(tmp_path_factory.mktemp("console") / "console.mp4", picture_at, frames=60)


@pytest.fixture(scope="session")
def colour_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """4 s at 10 fps: white until 1.4 s, red until 2.7 s, then blue (cuts at 1.4 s and 2.7 s)."""
    return write_clip(tmp_path_factory.mktemp("colours") / "colours.mp4", segments([(0.0, (245, 245, 245)), (1.4, (220, 30, 30)), (2.7, (30, 60, 230))]))
