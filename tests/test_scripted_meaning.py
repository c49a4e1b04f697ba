"""The scripted policy answers what a question means, on a real (generated) video through the real
tools: options that are times ask *when*, a count of colours is not a count of changes, "which
second" is a whole second, the picture named by a colour word is measured for a yes/no question,
a colour is placed in time among parts of the video, options that describe a course of colours are
matched to the course measured, a web address is read where the question points, and questions
about people or things in the picture stay ``general``. The questions are written as a person would
ask them, not taken from the policy's patterns. The colour clip: 4 s at 10 fps, white until 1.4 s,
red until 2.7 s, then blue (cuts at 1.4 s and 2.7 s); the notice clip: a title card for 2 s, then a
copyright line and a web address along the bottom.
"""

from __future__ import annotations

from pathlib import Path

import pytest
from PIL import Image, ImageDraw, ImageFont
from typer.testing import CliRunner

from tests.fixtures_clips import ask, check_answers, write_clip
from vagent.agent.measures import guessed
from vagent.agent.scripted import classify_question
from vagent.agent.scripted.labels import pick_value
from vagent.answers import parse_spans, temporal_iou

@pytest.fixture(scope="module")
def notice_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """4 s at 10 fps: "CHAPTER ONE" until 2 s, then "(c) 2021 Ada Lovelace" and "www.example.org" along the bottom."""
    def picture_at(t: float) -> Image.Image:
        image = Image.new("RGB", (480, 270), (40, 40, 48))
        draw = ImageDraw.Draw(image)
        if t < 2.0:
            draw.text((110, 110), "CHAPTER ONE", fill="white", font=ImageFont.load_default(size=40))
        else:
            draw.text((14, 232), "(c) 2021 Ada Lovelace", fill="white", font=ImageFont.load_default(size=22))
            draw.text((300, 232), "www.example.org", fill="white", font=ImageFont.load_default(size=22))
        return image
    return write_clip(tmp_path_factory.mktemp("notice") / "notice.mp4", picture_at)


@pytest.mark.slow
def test_what_the_question_means_on_a_real_clip(colour_clip):
    cases = [
        # options written as times: the question asks when the picture changes
        ("Roughly when does the footage first cut away to something else?", ["0.5 s", "1.4 s", "3.5 s"], "B"),
        # a whole second, and the change *into* the colour named, not the first change
        ("In which second of the clip does the screen go blue?", None, "2"),
        # how many colours, not how many changes between them
        ("How many distinct colours does the backdrop go through?", None, "3"),
        # yes/no about the colour or brightness the question names, measured where it points
        ("Is the screen mostly blue at the very end?", ["not sure", "No", "Yes"], "C"),
        ("Does the picture look dark right at the beginning?", ["Yes", "No"], "B"),
        # number options written in words are compared as numbers
        ("How many hard cuts does this clip have?", ["One.", "Two.", "Three."], "B"),
    ]
    for question, options, expected in cases:
        state = ask(colour_clip, question, options)
        think = (state.steps[-1].get("action") or {}).get("think", "")
        assert state.answer == expected and not guessed(state), (question, state.answer, think)


@pytest.mark.slow
def test_a_colour_of_the_picture_is_placed_in_time(colour_clip):
    """Parts of the video as options, a brightness, and no options at all (a span)."""
    check_answers(colour_clip, [
        ("Which part of the clip has a red backdrop?", ["Near the start.", "Around the middle.", "Towards the end.", "The whole time."], "B"),
        ("When is the screen blue?", ["Throughout the video.", "At the end of the video.", "At the beginning of the video."], "B"),
        ("During which part of the video is the screen bright?", ["In the middle.", "At the start.", "At the end."], "B"),
        ("When does the red background first appear?", ["At 0.5 seconds.", "At 1.4 seconds.", "At 2.7 seconds."], "B"),
        ("When does the red backdrop go away?", ["At 1.4 s", "At 2.7 s", "At 3.5 s"], "B"),
        ("For how many seconds is the screen red?", ["About 1.3 seconds.", "About 2.5 seconds."], "A"),
        ("How many times does the screen turn blue?", None, "1"),
        ("How many seconds long is the video?", ["2.", "4.", "8."], "B"),
    ])
    state = ask(colour_clip, "When is the picture white?")
    assert temporal_iou(parse_spans(state.answer), [(0.0, 1.4)]) >= 0.8, state.answer


@pytest.mark.slow
def test_options_describing_a_course_of_colours_are_matched_to_the_one_measured(colour_clip):
    check_answers(colour_clip, [
        ("In what order do the backdrop colours appear?",
         ["Red, then white, then blue.", "White, then red, then blue.", "Blue, then red, then white."], "B"),
        ("How does the picture change over the clip?", ["From white to blue.", "From red to white to blue.", "From white to red to blue."], "C"),
        ("Does the video go from dark to bright or from bright to dark?", ["From dark to bright.", "From bright to dark."], "B"),
        ("Which option orders the background colours correctly?", ["Red, white, blue.", "White, red, blue.", "Blue, white, red."], "B"),
        ("Does the red background come before the blue one?", ["Yes", "No"], "A"),
        ("Is the white screen shown after the red one?", ["Yes.", "No."], "B"),
    ])


@pytest.mark.slow
def test_muted_backgrounds_and_fades_are_named_as_a_viewer_names_them(muted_clip, fade_clip):
    """A bluish gray is gray, a dull red is red; a fade's course is read within the part of the video asked about."""
    check_answers(muted_clip, [
        ("In which part of the video is the background gray?", ["At the end.", "At the beginning.", "In the middle."], "B"),
        ("Which colour is the background in the middle of the video?", ["Green.", "Gray.", "Red.", "Blue."], "C"),
        ("What order do the background colours come in?", ["Red, green, gray.", "Gray, red, green.", "Green, gray, red."], "B"),
        ("Which background colour appears first in the video?", ["Red", "Green", "Gray"], "C"),
        ("What colour does the backdrop turn to last?", ["Green.", "Red.", "Gray."], "A"),
        # the moment a colour names, then the text there
        ("What frame number is displayed when the background turns green?", None, "21"),
        ("Which frame number is on screen once the backdrop is red?", ["1.", "11.", "21."], "B"),
    ])
    check_answers(fade_clip, [
        ("How does the brightness change in the first second?", ["It goes from bright to dark.", "It goes from dark to bright.",
                                                                 "It stays dark."], "B"),
        ("How does the picture change over the last two seconds?", ["It fades from white to black.", "It fades from black to white."], "A"),
        ("How does the video begin?", ["It fades out to black.", "It fades in from black.", "It starts on a white screen."], "B"),
        ("How many times does the screen fade to black?", None, "1"),  # a fade is no cut: counted on the frames
    ])


@pytest.mark.slow
def test_what_the_clip_does_not_show_is_a_marked_guess(colour_clip):
    """A colour never on screen, a course no option describes: guesses, said to be guesses."""
    for question, options in [("When is the background green?", ["At the start.", "In the middle.", "At the end."]),
                              ("Which colour sequence does the clip follow?", ["From green to yellow.", "From yellow to green."])]:
        state = ask(colour_clip, question, options)
        assert state.answer in ("A", "B", "C") and guessed(state), (question, state.answer)


@pytest.mark.slow
def test_a_web_address_is_read_where_the_question_points(notice_clip):
    check_answers(notice_clip, [
        ("What website is shown as the video ends?", ["EXAMPLE.COM.", "SAMPLE.NET.", "EXAMPLE.ORG.", "WIDGETS.ORG."], "C"),
        ("Which URL appears in the final moments?", None, "www.example.org"),
        ("What year does the copyright line at the end give?", None, "2021"),
        ("What is the name of the website shown at the end?", ["EXAMPLE.COM.", "EXAMPLE.ORG."], "B"),
        ("At what time is the web address first shown?", ["0.5 s", "2 s", "3.5 s"], "B"),
        ("What is written in the bottom left corner of the screen?", ["www.example.org.", "(c) 2021 Ada Lovelace.", "CHAPTER ONE."], "B"),
        # the option first read once the title has gone (not the first line read then, the copyright line)
        ('Which of these comes up after "CHAPTER ONE" disappears?', ["THE END", "www.example.org", "CHAPTER TWO"], "B"),
    ])
    state = ask(notice_clip, "Which web address is shown at the start of the clip?", ["EXAMPLE.COM.", "SAMPLE.NET.", "EXAMPLE.ORG."])
    assert guessed(state), state.answer  # the title card holds no address: read there, nothing decides


@pytest.mark.slow
def test_the_answer_box_says_when_an_answer_is_a_guess(colour_clip, tmp_path):
    """Two colours named for one yes/no answer: the evidence cannot decide, and `vagent ask` says so
    in its answer box, not only in the think text."""
    from vagent.cli import app

    result = CliRunner().invoke(app, ["ask", str(colour_clip), "Is the backdrop red or blue a second in?", "-o", "Yes",
                                      "-o", "No", "--model", "scripted", "--cache-dir", str(tmp_path),
                                      "--clip-pretrained", "random", "--clip-model", "ViT-S-32",
                                      "--trace-out", str(tmp_path / "t.jsonl")])
    assert result.exit_code == 0, result.output
    box = result.output[result.output.rindex("╭"):result.output.rindex("╯")]
    assert "this answer is a guess" in box, result.output


@pytest.mark.parametrize("question, options", [
    ("How many dogs run across the yard?", None),
    ("What colour is the umbrella the woman carries at 3 s?", ["red", "blue", "green"]),
    ("What colour is the car parked by the gate at 2 s?", ["red", "white"]),
    ("What is the colour of the bus at the start?", None),
    ("What does the boy do when the man in the red shirt sits down?", ["laughs", "leaves", "claps"]),
    ("Which of the players scored first?", ["the one in white", "the one in black"]),
    ("How many times does the girl wave at the camera?", None),
    ("Is the bag empty at the end?", ["Yes", "No"]),
    ("How does the colour of the man's shirt change?", ["From red to blue.", "From blue to red."]),
    ("What are the colours of the two doors?", ["Red, then blue.", "Blue, then red."]),
    ("What is being built at the construction site shown here?", None),
    ("During which part of the video does the woman in the red coat dance?", ["At the start.", "In the middle.", "At the end."]),
    ("What is the colour of the car that crosses the line first?", ["Red.", "Black.", "White."]),
    ("What colour is the bus at the start?", ["Red", "Blue"]),
    ("Does the man in red arrive before the woman in blue?", ["Yes", "No"]),
])
def test_questions_about_people_and_things_stay_general(question, options):
    """The plans measure the picture and read text; a question about a thing in it gets no plan that
    would answer it with a measurement of something else."""
    assert classify_question(question, options) == "general"


@pytest.mark.parametrize("question, options, kind", [
    ("What colour is the backdrop about two seconds in?", ["red", "white"], "look_at"),
    ("Is the screen black around the 3 second point?", ["yes", "no"], "look_at"),
    ("When does the film cut to the next shot?", ["at 1 s", "at 2 s", "at 3 s"], "change"),
    ("How many background colours appear over the whole clip?", None, "count"),
    ("Which title card shows up first?", ["THE END", "CHAPTER ONE"], "text_order"),
    ("In which part of the video is there a cut to a new shot?",
     ["Near the start of the video.", "Around the middle of the video.", "Towards the end of the video."], "change"),
    ("Which section of the video shows a white screen?", None, "when"),
    ("When do we see a green background?", ["Early on.", "Midway through.", "Near the end."], "when"),
    ("Which colour sequence does the backdrop follow?", ["white -> red -> blue", "red -> white -> blue"], "sequence"),
    ("What best describes the transitions in the video?", ["red into blue", "blue into red"], "sequence"),
    ("Which site is advertised when the clip ends?", None, "read_at"),
    ("Which of these is printed in the closing seconds?", ["EXAMPLE.ORG.", "SAMPLE.NET."], "read_at"),
    ("What email address is given in the credits?", None, "read"),
    ("When does the website first appear?", None, "text_event"),
    ("How long is the background blue?", None, "when"),
    ("What is the PTS value at the end of the video?", None, "read_at"),
    ("What is the duration of the clip?", ["3 s", "10 s"], "length"),
    ("Which of these colours shows more at 1 second?", ["blue", "red"], "look_at"),
    ("What is the order of the scenes?", ["white, blue, red", "white, red, blue"], "sequence"),
])
def test_questions_about_the_picture_get_the_plan_that_measures_it(question, options, kind):
    assert classify_question(question, options) == kind


def test_a_name_is_read_from_the_notice_not_the_address_beside_it():
    lines = ["www.example.org", "(c) 2019 Jane Q Doe", "Frame 12"]
    assert pick_value("Who owns the footage, going by the notice on screen?", lines)[1] == "Jane Q Doe"
    assert pick_value("Whose name does the credit line give?", ["www.example.org", "Filmed by Ann Lee"])[1] == "Ann Lee"


def test_options_that_name_parts_of_the_video_are_placed_by_time():
    from vagent.agent.scripted.choice import part_option, parts_option

    parts = ["Towards the end of the clip.", "Throughout the whole clip.", "Early on.", "Around the middle."]
    spans = ((0.5, 1.0), (2.5, 4.5), (8.0, 8.6), (0.0, 9.0))  # the second starts early but is mostly in the middle
    assert [part_option(parts, a, b, 9.0) for a, b in spans] == [2, 3, 0, 1]
    halves = ["In the second half.", "From start to finish.", "In the first half."]
    assert [parts_option(halves, [span], 9.0) for span in ((0.5, 2.0), (6.0, 8.0), (0.0, 9.0))] == [2, 0, 1]
    assert parts_option(parts, [(0.5, 1.0), (8.0, 8.6)], 9.0) is None  # shown early and late: no one part holds both
