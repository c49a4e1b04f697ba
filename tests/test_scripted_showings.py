"""The survey on generated clips, questions written as a person would type them (not taken from the policy's
patterns nor from the held-out sets): how many times a text pops up, the line under a line the question
writes out without quotes, the text toward the end of a shot among options listing several lines, how long
the screen stays black before the first picture, how long a fade takes, colours of a part of the frame
among shaded options ("light blue", "dark brown"), what the screen asks you to enter, whether the clip has
colour at all, how often it goes black in the middle, the moment it goes back to black and how it ends.

Console clip (built in ``tests/fixtures_clips.py``): 6 s at 10 fps. Shot 1 (0-3 s, dark blue): "LINK READY" at the top throughout, "PING OK" below it
from 1.0 to 1.4 s and from 2.0 to 2.4 s. Shot 2 (3-6 s, dark green): "SCAN STARTED" at the top, "ENTER YOUR NAME"
under it from 5.0 s.
Opening clip: 5 s at 10 fps, black until 1.3 s, a gray picture until 3 s, black until 3.5 s, gray again.
Landscape clip: 2 s, the top half a pale sky blue, the bottom half dark brown.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw

from tests.fixtures_clips import check_answers, write_clip
from vagent.agent.scripted import classify_question

pytestmark = pytest.mark.slow

@pytest.fixture(scope="module")
def opening_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    def picture_at(t: float) -> Image.Image:
        black = t < 1.3 - 1e-9 or 3.0 - 1e-9 <= t < 3.5 - 1e-9
        image = Image.new("RGB", (160, 120), (0, 0, 0) if black else (130, 130, 130))
        if not black:
            ImageDraw.Draw(image).rectangle((40, 30, 120, 90), fill=(200, 60, 60))
        return image
    return write_clip(tmp_path_factory.mktemp("opening") / "opening.mp4", picture_at, frames=50)


@pytest.fixture(scope="module")
def landscape_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    def picture_at(t: float) -> Image.Image:
        image = Image.new("RGB", (320, 180), (182, 198, 230))
        ImageDraw.Draw(image).rectangle((0, 90, 319, 179), fill=(92, 62, 38))
        return image
    return write_clip(tmp_path_factory.mktemp("landscape") / "landscape.mp4", picture_at, frames=20)


def test_text_that_pops_up_and_lines_under_or_late_in_a_shot(console_clip):
    check_answers(console_clip, [
        ("how many times does ping ok pop up on the screen?", None, "2"),
        ("what line shows up under the line scan started once the scan is under way?",
         ["LINK READY", "ENTER YOUR NAME", "PING OK"], "B"),
        ("Which text is on screen toward the end of the second shot?",
         ["LINK READY", "SCAN STARTED / ENTER YOUR NAME", "PING OK", "SCAN FAILED / NAME REJECTED"], "B"),
    ])


def test_what_the_screen_asks_for(console_clip):
    check_answers(console_clip, [("so what does the computer ask you to enter after the scan starts?", None, "ENTER YOUR NAME")])


def test_colour_at_all_black_in_the_middle_and_how_it_ends(opening_clip, fade_clip):
    check_answers(fade_clip, [
        ("is this clip in colour or is it just black and white?", ["in colour", "just black and white (greys)"], "B"),
        ("at the very end, does it fade to black or to white?", ["to white", "to black", "no fade at the end"], "B"),
    ])
    check_answers(opening_clip, [
        ("Is the video in colour or black and white?", ["black and white", "colour"], "B"),  # a red box on the gray picture
        ("how many times does it go fully black in the middle, not counting the start?", None, "1"),
        ("when does it cut back to black after the first image? how many seconds in", None, 3.0),
    ])


def test_black_before_the_first_picture_and_the_length_of_a_fade(opening_clip, fade_clip):
    check_answers(opening_clip, [
        ("how long is it black before the first image comes up? (seconds)", None, 1.3),
        ("for how long in total is the screen black?", None, 1.8),  # 1.3 s at the start and 0.5 s later
    ])
    check_answers(fade_clip, [("how many seconds does the fade up from black take?", None, 1.5)])


def test_the_colour_of_a_corner_among_shaded_colours(landscape_clip):
    options = ["green", "dark brown", "light blue", "orange"]
    check_answers(landscape_clip, [
        ("whats the main colour up in the top right corner?", options, "C"),
        ("and which colour is the bottom left corner mostly?", options, "B"),
        ("what colour is the sky up in the top right corner?", ["dark navy blue", "pale blue / lavender", "green"], "B"),
    ])


def test_lines_cuts_first_texts_and_what_comes_next(console_clip, opening_clip, fade_clip):
    check_answers(console_clip, [
        ("how many lines of text are on the screen at 1.2 seconds?", None, "2"),
        ("is it one continuous shot or does it cut somewhere?", ["it cuts once", "it cuts twice", "one continuous shot, no cuts"], "A"),
        ("at what time (seconds) does the background go green?", None, 3.0),
        ("What did the screen show first?", ["Scan Started.", "Link Ready."], "B"),
        ("what came up after the line scan started appeared?", ["LINK READY", "ENTER YOUR NAME", "PING OK"], "B"),
    ])
    check_answers(opening_clip, [("what happens after the first picture is shown?",
                                     ["it fades slowly to white", "it cuts straight to a black screen", "it cuts straight to the next picture"], "B")])
    check_answers(fade_clip, [("when does it get brightest the first time? answer in secs", None, 1.5)])


def test_a_colour_question_naming_a_counter_clip_is_about_colour():
    # "counter" names the clip here, not a text to read
    assert classify_question("what colour is the background at the very start of the counter clip?", ["red", "grey", "green"]) == "look_at"
