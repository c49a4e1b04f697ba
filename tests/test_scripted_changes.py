"""How one picture passes into the next (a dissolve, a cut, a fade), how a clip is edited, the colour of a
part of the frame or of a named text, brightness that goes back and forth, the moment a screen is fully
white, a grey level, the colour after a coloured part, what happened before a named text, what is
typed, how often the picture goes to black and the order of quoted texts, on generated clips through the real tools, with questions written
as a person would type them (not taken from the policy's patterns nor from the held-out sets).

Dissolve clip: 6 s at 10 fps: a blue sky over green grass with a white box until 2 s, a dissolve (2-3 s)
into a purple picture with a yellow disc, held until 4 s, a hard cut to a gray picture with black
stripes to the end. Pulse clip: 6 s of a flat screen whose brightness ramps black → white → black →
white → black (1.5 s per ramp).
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont

from tests.fixtures_clips import ask, check_answers, write_clip


def _field() -> Image.Image:
    image = Image.new("RGB", (320, 180), (90, 140, 220))
    draw = ImageDraw.Draw(image)
    draw.rectangle((0, 90, 319, 179), fill=(70, 150, 60))
    draw.rectangle((40, 30, 120, 70), fill=(250, 250, 250))
    return image


def _disc() -> Image.Image:
    image = Image.new("RGB", (320, 180), (150, 60, 160))
    ImageDraw.Draw(image).ellipse((180, 40, 280, 140), fill=(240, 220, 40))
    return image


def _stripes() -> Image.Image:
    image = Image.new("RGB", (320, 180), (128, 128, 128))
    draw = ImageDraw.Draw(image)
    for x in range(0, 320, 40):
        draw.rectangle((x, 0, x + 15, 179), fill=(10, 10, 10))
    return image


@pytest.fixture(scope="module")
def dissolve_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    field, disc, stripes = _field(), _disc(), _stripes()

    def picture_at(t: float) -> Image.Image:
        if t < 2.0:
            return field
        if t < 3.0:
            return Image.blend(field, disc, t - 2.0)
        return disc if t < 4.0 else stripes
    return write_clip(tmp_path_factory.mktemp("dissolve") / "dissolve.mp4", picture_at, frames=60)


@pytest.mark.slow
def test_how_one_picture_passes_into_the_next(dissolve_clip):
    check_answers(dissolve_clip, [
        ("what best describes the change from the first picture to the second one?",
         ["a hard cut", "a fade out to black and back in", "the first picture slowly dissolves into the second", "nothing changes"], "C"),
        ("How does the last picture come in?", ["It fades in from black.", "With a hard cut.", "It dissolves in from the one before."], "B"),
        ("is there a moment where one picture blends into the next? about when?", ["around 1 s", "around 2.5 s", "around 4.5 s", "no, never"], "B"),
    ])


@pytest.mark.slow
def test_how_a_clip_is_edited_and_when_it_is_fully_white(fade_clip):
    check_answers(fade_clip, [  # fades in from black to white by 1.5 s, white until 2.5 s, fades out by 4 s
        ("Which option best describes how this video is edited?",
         ["two shots joined by a hard cut", "one continuous shot, no cuts, starting on a picture", "a fade in from black followed by one shot"], "C"),
        ("when does the screen first get completely white? (seconds)", None, 1.5),
    ])


@pytest.mark.slow
def test_brightness_that_goes_back_and_forth(tmp_path):
    def level(t: float) -> int:
        phase = (t % 3.0) / 1.5
        return int(255 * (phase if phase <= 1.0 else 2.0 - phase))
    clip = write_clip(tmp_path / "pulse.mp4", lambda t: Image.new("RGB", (160, 120), (level(t),) * 3), frames=60)
    check_answers(clip, [
        ("How is the brightness of the screen changing?",
         ["it only gets brighter", "it keeps going back and forth between dark and bright", "it stays the same",
          "it flickers randomly from frame to frame"], "B"),
    ])


@pytest.mark.slow
def test_the_colour_of_a_part_of_the_frame_and_of_a_named_text(tmp_path):
    def picture_at(t: float) -> Image.Image:
        image = _field()
        draw = ImageDraw.Draw(image)
        draw.text((150, 20), "GATE OPEN", fill=(210, 30, 30), font=ImageFont.load_default(size=28))
        draw.text((150, 120), "Exit Now", fill=(250, 230, 40), font=ImageFont.load_default(size=28))
        return image
    clip = write_clip(tmp_path / "field.mp4", picture_at, frames=20)
    check_answers(clip, [
        ("is the bottom half of the clip mostly green, blue, gray or purple?", ["green", "blue", "gray", "purple"], "A"),
        ("what colour is the top part of the picture?", None, "blue"),
        ("what colour is the GATE OPEN text?", ["white", "red", "black", "green"], "B"),
        ("the Exit Now words - what colour are they?", ["red", "black", "yellow"], "C"),
    ])


@pytest.mark.slow
def test_the_order_of_quoted_texts(messages_clip):
    check_answers(messages_clip, [  # "BOOT OK" until 1.5 s, then "LOADING MAP"
        ("In what order do these come up?", ["the text 'LOADING MAP' appears, then the text 'BOOT OK' appears",
                                             "the text 'BOOT OK' appears, then the text 'LOADING MAP' appears",
                                             "they come up at the same time"], "B"),
    ])


@pytest.mark.slow
def test_levels_moments_and_entries_into_black(fade_clip, transitions_clip):
    from vagent.answers import parse_number
    state = ask(fade_clip, "roughly what grey level (0-255) is the very last frame?", None)
    assert abs((parse_number(state.answer or "") or -99) - 17) <= 4, state.answer  # frame 39 of a fade out: 255 * 0.1 / 1.5
    check_answers(fade_clip, [("when does the screen first go completely white? (in seconds)", None, 1.5)])
    check_answers(transitions_clip, [  # a hard cut to black at 1 s, a fade in at 2-3 s, a fade out at 4.5-5.5 s
        ("not counting the black at the very start, how many times does the video go to a black screen?", None, 2.0),
        ("what happens to the picture at about 5 seconds?", ["it cuts to a white screen", "it zooms in on the words",
                                                              "it fades out to black", "it splits into two pictures"], "C"),
        ("which part of the frame is the brightest?", ["left", "bottom", "top", "right"], "C"),
    ])


@pytest.mark.slow
def test_what_follows_a_colour_and_a_scene_that_never_changes(tmp_path):
    segments = [(0.0, (120, 120, 120)), (1.5, (140, 85, 55)), (3.0, (50, 160, 70))]  # gray, brown, green
    clip = write_clip(tmp_path / "brown.mp4", lambda t: Image.new("RGB", (160, 120), [c for s, c in segments if t >= s - 1e-9][-1]),
                       frames=45)
    check_answers(clip, [("what colour did the background turn to after the grey part at the start?",
                             ["yellow", "green", "black", "reddish brown", "white"], "D")])

    def drifting(t: float) -> Image.Image:  # one shot: the white box drifts right
        image = _field()
        ImageDraw.Draw(image).rectangle((40 + int(20 * t), 110, 90 + int(20 * t), 150), fill=(240, 240, 240))
        return image
    still = write_clip(tmp_path / "drift.mp4", drifting, frames=40)
    check_answers(still, [("What's the right option for how the scenes in the video change?",
                              ["From a field to a city street.", "From a city street to a field.",
                               "The scene does not change; it stays on the same field.", "From the field to a black screen."], "C")])


@pytest.mark.slow
def test_what_happened_before_a_named_text_and_what_is_typed(messages_clip, tmp_path):
    check_answers(messages_clip, [  # "BOOT OK" until 1.5 s, "LOADING MAP" until 3 s, then "READY PLAYER"
        ('What happened before the words "READY PLAYER" appeared?',
         ["The screen faded to white.", "The words 'LOADING MAP' were shown.", "The words 'GAME OVER' flashed."], "B"),
    ])

    def typing(t: float) -> Image.Image:  # "MENU" until a cut at 2 s, then "OPEN GATE" typed 2-4 s, held to 6 s
        image = Image.new("RGB", (480, 270), (20, 30, 90) if t < 2.0 else (40, 40, 40))
        text = "MENU" if t < 2.0 else "OPEN GATE"[:max(1, min(9, int((t - 2.0) * 4.5) + 1))]
        ImageDraw.Draw(image).text((60, 110), text, fill="white", font=ImageFont.load_default(size=40))
        return image
    clip = write_clip(tmp_path / "typing.mp4", typing, frames=60)
    check_answers(clip, [("what command is typed into the box in the middle of the video", None, "OPEN GATE")])
