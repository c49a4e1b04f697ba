"""The scripted policy on questions a person asks (times, order, text, colour, cuts), and honest think text.

A generated video has burnt-in captions at known times on two coloured backgrounds (one cut), so
every answer is known exactly. The honesty test runs many questions with tools failing or off and
checks that no think sentence claims a tool result the episode did not receive.
"""

from __future__ import annotations

import logging
import re

import av
import pytest
from PIL import Image, ImageDraw, ImageFont

from vagent.agent.episode import Episode
from vagent.agent.protocol import parse_action
from vagent.agent.scripted import ScriptedPolicy, asked_type, classify_question, time_ref
from vagent.answers import parse_spans, temporal_iou
from vagent.types import Observation

FPS, SECONDS, SIZE = 5, 6.0, (320, 180)
CAPTIONS = [  # text, start, end, top (else bottom)
    ("CODE 41", 0.0, 2.0, True), ("CODE 58", 2.0, 4.0, True), ("CODE 73", 4.0, 6.1, True),
    ("READY", 1.0, 2.5, False), ("GO AHEAD", 2.5, 4.0, False),
]


def _frame(t: float) -> Image.Image:
    image = Image.new("RGB", SIZE, (200, 30, 30) if t < 3.0 else (30, 60, 200))
    draw = ImageDraw.Draw(image)
    font = ImageFont.load_default(size=26)
    for text, a, b, top in CAPTIONS:
        if a <= t < b:
            x1, y1, x2, y2 = draw.textbbox((0, 0), text, font=font)
            x, y = (SIZE[0] - (x2 - x1)) // 2, 10 if top else SIZE[1] - (y2 - y1) - 20
            draw.rectangle((x - 6, y - 6, x + x2 - x1 + 6, y + y2 - y1 + 8), fill=(0, 0, 0))
            draw.text((x - x1, y - y1), text, fill=(255, 255, 255), font=font)
    return image


@pytest.fixture(scope="module")
def captioned(tmp_path_factory):
    from vagent.tools.index import IndexSettings
    from vagent.tools.registry import VideoTools

    logging.getLogger("root").setLevel(logging.ERROR)
    folder = tmp_path_factory.mktemp("captioned")
    path = folder / "captions.mp4"
    with av.open(str(path), "w") as out:
        stream = out.add_stream("libx264", rate=FPS)
        stream.width, stream.height, stream.pix_fmt = *SIZE, "yuv420p"
        stream.options = {"crf": "10", "g": str(FPS)}
        for i in range(int(SECONDS * FPS)):
            for packet in stream.encode(av.VideoFrame.from_image(_frame(i / FPS)).reformat(format="yuv420p")):
                out.mux(packet)
        for packet in stream.encode():
            out.mux(packet)
    tools = VideoTools.open(path, IndexSettings(clip_pretrained=None, cache_dir=folder / "cache"))  # visual search off
    yield tools
    tools.close()


def _run(policy, tools, question, options=None):
    episode = Episode.start(tools, question, options)
    while not episode.done:
        generation = policy.generate(episode.state.messages, tools.schemas())
        assert parse_action(generation.text, tools.names).kind != "invalid", generation.text
        episode.step(generation.text, generation)
    return episode.state


# ------------------------------------------------------------------------------ reading questions
@pytest.mark.parametrize("question, kind, t, start, end", [
    ("What number is shown at 2.0 seconds?", "number", 2.0, 2.0, 2.0),
    ("What is written at 1:05?", "text", 65.0, 65.0, 65.0),
    ("How many cuts are there in the first 4 seconds?", "number", None, 0.0, 4.0),
    ("When is the picture dark in the last 3 s?", "span", None, 97.0, 100.0),
    ("What is shown at the beginning?", "text", 0.0, 0.0, 1.0),
    ("What is shown at the end?", "text", 100.0, 99.0, 100.0),
    ("Is there a cut between 40 and 20 seconds?", "text", None, 20.0, 40.0),
])
def test_time_references_and_types(question, kind, t, start, end):
    ref = time_ref(question, 100.0)
    assert (ref.t, ref.start, ref.end) == (t, start, end)
    assert asked_type(question, None) == kind


CASES = [  # question, options, check(answer)
    ("What number is shown at 1 second?", None, lambda a: a == "41"),
    ("What number is shown at 0:03?", None, lambda a: a == "58"),
    ("What number is shown at the end?", None, lambda a: a == "73"),
    ("What is written at the bottom at 3.5 seconds?", None, lambda a: a == "GO AHEAD"),
    ('When is "READY" shown?', None, lambda a: temporal_iou(parse_spans(a), [[1.0, 2.5]]) >= 0.6),
    ('What number is shown after "GO AHEAD" disappears?', None, lambda a: a == "73"),
    ("Which caption is shown first?", ["GO AHEAD", "READY"], lambda a: a == "B"),
    ("How many cuts are there in the first 2 seconds?", None, lambda a: a == "0"),
    ("How many cuts are there in the video?", None, lambda a: a == "1"),
    ("At what second does the first cut happen?", None, lambda a: abs(float(a) - 3.0) <= 0.25),
    ("Which colour covers most of the picture at 4 seconds?", ["red", "blue"], lambda a: a == "B"),
    ("Which colour covers most of the picture at 1 second?", ["red", "blue"], lambda a: a == "A"),
    ("Which word can you see on screen at 1.5 seconds?", ["GO AHEAD", "READY", "STOP"], lambda a: a == "B"),  # the second line read
]


@pytest.mark.slow
def test_questions_with_times_order_and_text(captioned):
    wrong = []
    for question, options, check in CASES:
        state = _run(ScriptedPolicy(), captioned, question, options)
        if state.answer is None or not check(state.answer):
            wrong.append((question, state.answer, classify_question(question, options)))
    assert not wrong, wrong


# ------------------------------------------------------------------------------ honesty
class _Failing:
    """The real tools, except that the named ones fail (as a broken or missing backend does)."""

    def __init__(self, tools, failing):
        self._tools, self._failing = tools, set(failing)

    def __getattr__(self, name):
        return getattr(self._tools, name)

    def call(self, name, arguments=None):
        if name in self._failing:
            return Observation.failure(f"{name} failed: the backend is not available")
        return self._tools.call(name, arguments)


# a claim in a think sentence -> the tool whose successful result it needs
CLAIMS = [
    (re.compile(r"read_text (?:shows|found)|the text reads|frames I read|text I read|is (?:first |last )?read at|"
                r"OCR confidence|text read", re.I), "read_text"),
    (re.compile(r"scene list (?:has|lists)|detector (?:lists|found) \d|in the scene list|There are \d+ scenes", re.I), "detect_scenes"),
    (re.compile(r"in search\b|search match|best match is|matches the video best", re.I), "search_clips"),
]
ABSENCE = re.compile(r"gave no result|not available|did not search|no scene list|no tool|could not", re.I)
_SUCCESS = {
    "read_text": lambda text: text.startswith("read_text t="),
    "detect_scenes": lambda text: bool(re.search(r"scene \d+: ", text)),
    "search_clips": lambda text: bool(re.search(r"^\s*1\.\s*[\d.]+s-", text, re.M)),
}


def unbacked_claims(messages) -> list[str]:
    """Think sentences that claim a result of a tool that gave none before that turn."""
    got: set[str] = set()
    bad = []
    for message in messages:
        if message["role"] == "tool":
            text = next((b.get("text", "") for b in message["content"] if b.get("type") == "text"), "")
            if message["name"] in _SUCCESS and _SUCCESS[message["name"]](text):
                got.add(message["name"])
        elif message["role"] == "assistant":
            think = parse_action(message["content"]).think or ""
            for sentence in re.split(r"(?<=[.;])\s+", think):
                for pattern, tool in CLAIMS:
                    if pattern.search(sentence) and tool not in got and not ABSENCE.search(sentence) \
                            and "overview" not in sentence.lower():
                        bad.append(f"{tool}: {sentence}")
    return bad


QUESTIONS = [q for q, _, _ in CASES] + [
    "What is the mood of this video?", "When does the picture change?", "How many people are there?",
    "What does the sign say?", "When does the red square appear?", "How many scenes are in the video?",
]
OPTIONS = {"What is the mood of this video?": ["happy", "sad", "calm"]} | {q: o for q, o, _ in CASES if o}


@pytest.mark.slow
@pytest.mark.parametrize("failing", [
    ("read_text", "search_clips"),  # visual search is off in this index anyway
    ("detect_scenes", "read_text", "search_clips", "crop_clip", "zoom_frame"),  # a windowed count: the window's frames, a guess
])
def test_think_text_claims_only_results_received(captioned, failing):
    tools = _Failing(captioned, failing)
    for question in QUESTIONS:
        state = _run(ScriptedPolicy(), tools, question, OPTIONS.get(question))
        assert state.answer is not None, question
        assert not unbacked_claims(state.messages), (question, unbacked_claims(state.messages))
        if len(failing) == 5:  # nothing worked: the last think says how it chose
            final = parse_action([m for m in state.messages if m["role"] == "assistant"][-1]["content"]).think
            assert re.search(r"guess|unknown|cannot|no evidence|overview", final, re.I), (question, final)


def test_no_tools_says_so(captioned):
    for question in QUESTIONS:
        state = _run(ScriptedPolicy(use_tools=False), captioned, question, OPTIONS.get(question))
        assert state.answer is not None and not unbacked_claims(state.messages), question


def test_checker_catches_an_unbacked_claim():
    messages = [{"role": "assistant", "content": "<think>No option is written on screen; option A matches the video "
                 "best in search.</think><answer>A</answer>"}]
    assert unbacked_claims(messages)
    messages.insert(0, {"role": "tool", "name": "search_clips", "content": [{"type": "text", "text": "1. 0.00s-1.00s score=0.3"}]})
    assert not unbacked_claims(messages)
