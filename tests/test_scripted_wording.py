"""The scripted policy reads questions as people write them (issue 25): time expressions, the value
asked for, options decided by evidence, intent by meaning, and guesses that are drawn and marked.
No video: each check runs on question text, OCR lines or a conversation without tool results.
"""

from __future__ import annotations

import random
import string

import pytest

from vagent.agent.measures import GUESS_MARK, guessed
from vagent.agent.protocol import parse_action
from vagent.agent.scripted import ScriptedPolicy, classify_question, time_ref
from vagent.agent.scripted.choice import nearest_time_option, text_option
from vagent.agent.scripted.colour_words import option_colour
from vagent.agent.scripted.labels import pick_value


@pytest.mark.parametrize("question, t", [
    ("What colour is the wall one and a half seconds into the clip?", 1.5),
    ("Is it dark at t = 1.8 s?", 1.8),
    ("what's on screen roughly 0.3 s in", 0.3),
    ("What happens at the 2 second mark?", 2.0),
    ("What do you see three seconds in?", 3.0),
    ("Describe the frame at 0:07.", 7.0),
    ("what is shown at two and a half seconds", 2.5),
    ("what does the sign say half a second in", 0.5),
    ("What is shown at 1500 ms?", 1.5),
])
def test_moments_written_many_ways(question, t):
    assert time_ref(question, 10).t == pytest.approx(t)


@pytest.mark.parametrize("question, window", [
    ("How many cuts happen between two and five seconds?", (2.0, 5.0)),
    ("how many shots from 1 to 3 s", (1.0, 3.0)),
    ("What changes over the final four seconds?", (6.0, 10.0)),
    ("what happens in the second half", (5.0, 10.0)),
])
def test_windows_written_many_ways(question, window):
    ref = time_ref(question, 10)
    assert (ref.start, ref.end) == pytest.approx(window) and ref.t is None


def test_a_question_asking_for_a_second_names_no_time():
    assert time_ref("During which second does the background switch colour?", 10) is None


@pytest.mark.parametrize("question, lines, value", [
    ("What PTS is printed at the bottom?", ["Frame = 16", "PTS = 1.5s"], "1.5s"),
    ("Which frame number is on screen?", ["Frame = 16", "PTS = 1.5s"], "16"),
    ("In what year was this made, going by the copyright?", ["www.bcastell.com", "Copyright (c) 2013 B. Castellano"], "2013"),
    ("What site does the video advertise?", ["Copyright 2013", "www.bcastell.com"], "www.bcastell.com"),
])
def test_the_value_asked_for_not_the_first_line(question, lines, value):
    assert pick_value(question, lines)[1] == value


def test_options_are_matched_by_evidence():
    assert option_colour("Mostly grey") == "gray" and option_colour("It is light") == "bright"
    assert nearest_time_option(["at 0.5 s", "at 1.2 s", "at 3 s"], 1.25) == 1
    assert nearest_time_option(["red", "blue"], 1.0) is None
    assert text_option(["ENTER PASSWORD", "INITIATE SEARCH"], "Initiate Search Program") == 1


@pytest.mark.parametrize("question, kind", [
    ("How many times does the colour change?", "count"),
    ("Roughly when does the picture switch to a different shot?", "change"),
    ("What year appears in the copyright notice?", "read"),
    ("What's the backdrop's hue one second in?", "look_at"),
])
def test_intent_by_meaning(question, kind):
    assert classify_question(question) == kind


def _messages(question: str, options: list[str], spent: bool) -> list[dict]:
    first = {"role": "user", "content": question, "data": {"question": question, "options": options, "duration": 8.0}}
    if not spent:
        return [first]
    return [first, {"role": "assistant", "content": "<think>look</think>"},
            {"role": "user", "content": "The budget is spent.", "budget_spent": "turns"}]


def _random_words(rng: random.Random) -> list[str]:
    return ["".join(rng.choices(string.ascii_lowercase + " ", k=rng.randint(3, 12))) for _ in range(rng.randint(2, 5))]


def _random_parts(rng: random.Random) -> list[str]:
    return rng.sample(["At the start.", "Around the middle.", "Towards the end.", "The whole time."], rng.randint(2, 4))


def _random_courses(rng: random.Random) -> list[str]:
    courses = {" then ".join(rng.sample(["red", "green", "blue", "gray", "yellow"], rng.randint(2, 3))) for _ in range(8)}
    return rng.sample(sorted(courses), min(len(courses), rng.randint(2, 4)))


def _random_sites(rng: random.Random) -> list[str]:
    return [f"{''.join(rng.choices(string.ascii_uppercase, k=rng.randint(4, 9)))}.COM." for _ in range(rng.randint(2, 4))]


QUESTION_KINDS = {  # the plan, and a question and options drawn at random: whichever plan, no evidence decides
    "general": (lambda rng: f"Which of these best describes the {rng.choice(['scene', 'mood', 'event'])} in the video?", _random_words),
    "when": (lambda rng: f"During which part of the video is the screen {rng.choice(['red', 'dark', 'green'])}?", _random_parts),
    "sequence": (lambda rng: "How do the background colours change over the clip?", _random_courses),
    "read_at": (lambda rng: "What is the website that appears at the end of the video?", _random_sites),
}


@pytest.mark.parametrize("spent", [False, True])
@pytest.mark.parametrize("kind", QUESTION_KINDS)
def test_a_choice_no_evidence_decides_is_a_marked_guess_never_a_default_first(spent, kind):
    """Property: over random option lists and no usable evidence (no tools and no overview frames; or the
    budget spent before any tool returned), every answer is marked as a guess, and the first option is
    no default."""
    rng = random.Random(25)
    letters = []
    write_question, write_options = QUESTION_KINDS[kind]
    for _ in range(120):
        options, question = write_options(rng), write_question(rng)
        assert classify_question(question, options) == kind, (question, options)
        tools = [{"function": {"name": n}} for n in ("search_clips", "detect_scenes", "read_text", "crop_clip")] if spent else []
        text = ScriptedPolicy().generate(_messages(question, options, spent), tools).text
        action = parse_action(text)
        assert action.answer is not None and GUESS_MARK in action.think and guessed(text), text
        letters.append(action.answer)
    assert letters.count("A") < 0.5 * len(letters) and len(set(letters)) >= 4
