"""The survey (``general``) answers questions no specific plan takes, from a timeline of the whole video,
on real (generated) clips through the real tools: counts of coloured parts and of shots, how long a
part lasts, the n-th colour or cut, what the picture does after it turns a colour, a value printed
when a colour starts, an option saying something never appears, whether it is one shot, the time between
two events, whether the picture stays as it is, the order of messages, when a message comes up and what
a corner says. The questions are written as a person
would type them, not taken from the policy's patterns (nor from the held-out sets).

Cards clip: 4.5 s at 10 fps, gray until 1 s, red until 2 s, gray until 3 s, red until 3.5 s, then
green; a white "Frame = N" (N = frame index + 1) at the top left and "Clock T" (T the time, one decimal)
at the bottom left; hard cuts at every colour change.
Messages clip: 4.5 s at 10 fps on a dark screen, "BOOT OK" until 1.5 s, "LOADING MAP" until 3 s, then
"READY PLAYER"; "CH 7" in the top right corner throughout. Both are built in ``tests/fixtures_clips.py``.
"""

from __future__ import annotations

import pytest
from PIL import Image, ImageDraw, ImageFont

from tests.fixtures_clips import check_answers, write_clip
from vagent.agent.scripted import classify_question



@pytest.mark.slow
def test_the_timeline_of_colours_and_cuts(cards_clip):
    check_answers(cards_clip, [
        ("How many separate red sections does this clip have?", ["1", "2", "3", "4"], "B"),
        ("for how long is the green part on screen, in seconds?", None, 1.0),
        ("what happens to the picture right after it goes red for the first time?",
         ["it turns blue", "it goes back to gray", "it fades to white", "it stays red"], "B"),
        ("Which frame number can you read on the very first green frame?", None, "36"),
        ("Does a yellow screen ever show up?", ["Yes, near the end.", "No, there is never a yellow screen.", "Yes, at the start."], "B"),
        ("Is this one continuous shot?", ["yes", "no"], "B"),
        ("When does the clip cut for the third time?", ["About 1 s.", "About 2 s.", "About 3 s.", "About 4 s."], "C"),
        ("roughly when is the last cut before the 3.2 second mark", None, 3.0),
        ("how many seconds pass between the first cut and the third one?", None, 2.0),  # cuts at 1, 2, 3 and 3.5 s
        ("does the background stay red the whole time?", None, "no"),
        ("how long does the second shot last?", None, 1.0),
        ("is the first shot brighter or darker than the second one?", ["brighter", "darker", "about the same"], "A"),
        ("how many shots are there? every cut starts a new one", None, "5"),
    ])


@pytest.mark.slow
def test_the_timeline_of_messages(messages_clip):
    check_answers(messages_clip, [
        ("In what sequence do these messages show up?",
         ["LOADING MAP, BOOT OK, READY PLAYER.", "BOOT OK, READY PLAYER, LOADING MAP.", "BOOT OK, LOADING MAP, READY PLAYER."], "C"),
        ("how many seconds in does 'Ready Player' come up?", None, 3.0),
        ("What does it say in the top right corner?", ["BOOT OK.", "CH 7.", "READY PLAYER.", "CH 9."], "B"),
        ("is the brightness pretty much constant the whole way through?", ["Yes.", "No."], "A"),
    ])


@pytest.mark.slow
def test_questions_typed_without_options(cards_clip, messages_clip):
    check_answers(cards_clip, [
        ("between 3 and 4 seconds does it get lighter or darker?", None, "lighter"),  # its own alternatives, answered in words
        ("when does the picture first change colour? answer in seconds", None, 1.0),
        ("there's a cut shortly before the end, when is it, in seconds?", None, 3.5),
        ("how long is the screen gray at the start, in seconds?", None, 1.0),  # the gray part there, not both
        ("what does the clock say when the frame counter gets to thirty one?", None, "3.0"),
        ("when does it turn gray again, in seconds?", None, 2.0),  # the second gray part
        ("what frame number is shown when the screen first goes green?", None, "36"),  # a value at a moment, not the moment
        ("whats the clock reading when it says Frame = 21", None, "2.0"),
    ])
    check_answers(messages_clip, [
        ("is there any writing anywhere in this clip?", None, "yes"),
        ("Put these in the order they appear: (a) READY PLAYER (b) BOOT OK (c) LOADING MAP", ["(b)(c)(a)", "(a)(b)(c)", "(c)(a)(b)"], "A"),
    ])


@pytest.mark.slow
def test_muted_colours_and_whether_a_colour_ever_shows(muted_clip, fade_clip):
    check_answers(muted_clip, [("what colour is the background at 1.5 seconds?", None, "red")])  # a dull red, not gray
    check_answers(fade_clip, [
        ("is the screen ever completely white?", None, "yes"),
        ("does it turn red at any point?", None, "no"),
    ])


@pytest.mark.slow
def test_the_text_written_in_a_colour(tmp_path):
    """A sign with a red line over a white one (3 s, a cut to a blank screen at 2 s): read_text gives each
    line's letter colour, and the survey answers "what do the red words say" from it."""
    def picture_at(t: float) -> Image.Image:
        image = Image.new("RGB", (480, 270), (235, 235, 230) if t < 2.0 else (30, 60, 120))
        if t < 2.0:
            draw = ImageDraw.Draw(image)
            draw.text((60, 70), "GATE OPEN", fill=(200, 30, 30), font=ImageFont.load_default(size=40))
            draw.text((60, 160), "EXIT NOW", fill=(20, 20, 20), font=ImageFont.load_default(size=40))
        return image
    clip = write_clip(tmp_path / "sign.mp4", picture_at, frames=30)
    from vagent.tools.index import IndexSettings
    from vagent.tools.registry import VideoTools
    tools = VideoTools.open(clip, IndexSettings(clip_pretrained=None, cache_dir=tmp_path / "cache"))
    try:
        read = tools.read_text(1.0)
    finally:
        tools.close()
    assert [line[0] for line in read.data["lines"]] == ["GATE OPEN", "EXIT NOW"]
    (r, g, b), (r2, g2, b2) = read.data["colours"]
    assert r > 150 > g + 60 and b < 90 and max(r2, g2, b2) < 90, read.data["colours"]  # red letters, then dark ones
    check_answers(clip, [
        ("what do the red words on the sign say?", None, "GATE OPEN"),
        ("Which text is written in black?", ["GATE OPEN.", "EXIT NOW.", "KEEP OUT."], "B"),
        ("what does it say under 'GATE OPEN'?", None, "EXIT NOW"),
    ])


@pytest.mark.slow
def test_fades_cuts_and_parts_of_the_frame(transitions_clip):
    check_answers(transitions_clip, [
        ("Which half of the picture is brighter overall?", ["The top half.", "The bottom half.", "About the same."], "A"),
        ("how many times does the picture fade in from a black screen?", None, 1.0),  # the cut at 1 s is no fade
        ("how many times does it fade out to black?", None, 1.0),
        ("how does the clip end? does it cut to black, fade out, or just stop on the picture",
         ["it cuts to black", "it fades out to black", "it stops on the last picture"], "B"),
        ("after the first cut, what word shows up?", None, "WORLD"),
    ])


@pytest.mark.parametrize("question, options", [
    ("How many video clips is this made of?", ["1.", "2.", "3."]),
    ("how is the picture changing towards the end", ["it gets darker", "it gets brighter", "a caption appears", "it cuts to a new shot"]),
    ("In what order do the signs appear?", ["EXIT, OPEN, CLOSED.", "OPEN, CLOSED, EXIT.", "CLOSED, EXIT, OPEN."]),
    ("When does a purple screen appear?", ["At the start.", "At the end.", "It never appears."]),
    ("What's the gap in seconds between the opening of the video and the first shot change?", ["1.", "2.", "3."]),
    ("Does the picture stay equally bright all the way through?", ["Yes.", "No."]),
    ("what colour is the screen when the counter reads 'Frame = 12'?", ["Red.", "Gray-blue.", "Green."]),
    ("What's the darkest corner of the frame?", ["Top left corner.", "Top right corner.", "Bottom left corner.", "Bottom right corner."]),
    ("how does the video end?", ["It fades out.", "It cuts to black."]),
])
def test_shapes_the_survey_takes(question, options):
    assert classify_question(question, options) == "general"
