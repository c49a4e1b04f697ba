"""The scripted policy answers what a question means, on a real (generated) video through the real
tools: options that are times ask *when*, a count of colours is not a count of changes, "which
second" is a whole second, the picture named by a colour word is measured for a yes/no question,
and questions about people or things in the picture stay ``general``. The questions are written as
a person would ask them, not taken from the policy's patterns. The clip: 4 s at 10 fps, white until
1.4 s, red until 2.7 s, then blue (cuts at 1.4 s and 2.7 s).
"""

from __future__ import annotations

from pathlib import Path

import av
import numpy as np
import pytest
from typer.testing import CliRunner

from vagent.agent.episode import Budget, Episode
from vagent.agent.graph import run_episode
from vagent.agent.measures import guessed
from vagent.agent.scripted import ScriptedPolicy, classify_question
from vagent.agent.scripted.labels import pick_value
from vagent.tools.index import IndexSettings
from vagent.tools.registry import VideoTools

SEGMENTS = [(0.0, (245, 245, 245)), (1.4, (220, 30, 30)), (2.7, (30, 60, 230))]
"""(start in seconds, colour): white, red, blue."""


@pytest.fixture(scope="module")
def colour_clip(tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("colours") / "colours.mp4"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=10)
        stream.width, stream.height, stream.pix_fmt = 160, 120, "yuv420p"
        for i in range(40):
            colour = [rgb for start, rgb in SEGMENTS if i / 10 >= start - 1e-9][-1]
            frame = np.zeros((120, 160, 3), np.uint8) + np.array(colour, np.uint8)
            out.mux(stream.encode(av.VideoFrame.from_ndarray(frame, format="rgb24")))
        out.mux(stream.encode())
    return path


def _ask(clip: Path, cache: Path, question: str, options: list[str] | None = None):
    tools = VideoTools.open(clip, IndexSettings(clip_pretrained=None, cache_dir=cache))
    try:
        episode = Episode.start(tools, question, options, budget=Budget(max_turns=6))
        return run_episode(episode, ScriptedPolicy())
    finally:
        tools.close()


@pytest.mark.slow
def test_what_the_question_means_on_a_real_clip(colour_clip, tmp_path):
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
        state = _ask(colour_clip, tmp_path, question, options)
        think = (state.steps[-1].get("action") or {}).get("think", "")
        assert state.answer == expected and not guessed(state), (question, state.answer, think)


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
])
def test_questions_about_the_picture_get_the_plan_that_measures_it(question, options, kind):
    assert classify_question(question, options) == kind


def test_a_name_is_read_from_the_notice_not_the_address_beside_it():
    lines = ["www.example.org", "(c) 2019 Jane Q Doe", "Frame 12"]
    assert pick_value("Who owns the footage, going by the notice on screen?", lines)[1] == "Jane Q Doe"
    assert pick_value("Whose name does the credit line give?", ["www.example.org", "Filmed by Ann Lee"])[1] == "Ann Lee"


def test_options_that_name_parts_of_the_video_are_placed_by_time():
    from vagent.agent.scripted.choice import part_option

    parts = ["Towards the end of the clip.", "Throughout the whole clip.", "Early on.", "Around the middle."]
    spans = ((0.5, 1.0), (2.5, 4.5), (8.0, 8.6), (0.0, 9.0))  # the second starts early but is mostly in the middle
    assert [part_option(parts, a, b, 9.0) for a, b in spans] == [2, 3, 0, 1]
