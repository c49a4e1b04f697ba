"""The scripted policy: protocol-exact output, stateless replay, and tools beating the overview."""

from __future__ import annotations

import logging
from pathlib import Path

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st
from PIL import Image

from vagent.agent.episode import Budget, Episode
from vagent.agent.policy import Policy
from vagent.agent.prompts import question_message
from vagent.agent.protocol import parse_action
from vagent.agent.scripted import ScriptedPolicy, classify_question, read_conversation
from vagent.env.synthetic import FAMILIES, make_task
from vagent.types import TimedImage, image_block

TOOL_NAMES = ["search_clips", "detect_scenes", "zoom_frame", "crop_clip", "read_text"]
SCHEMAS = [{"type": "function", "function": {"name": name, "parameters": {}}} for name in TOOL_NAMES]


def _first_messages(question: str, options: list[str] | None = None, duration: float = 12.0) -> list[dict]:
    frames = [TimedImage(t, Image.new("RGB", (64, 48), (40, 40, 40))) for t in (1.5, 4.5, 7.5, 10.5)]
    return [{"role": "system", "content": "sys"}, question_message(question, options, duration, frames)]


def test_palette_is_the_generators():
    """The colours and corners the policy reads back are the ones the synthetic generator paints."""
    import colorsys

    from vagent.agent.palette import COLOR_HUES, CORNER_BOXES, CORNERS
    from vagent.env import synthetic

    assert synthetic.CORNERS == CORNERS == tuple(CORNER_BOXES)
    assert list(synthetic.PALETTE) == list(COLOR_HUES)
    for name, rgb in synthetic.PALETTE.items():
        hue = 360 * colorsys.rgb_to_hsv(*(v / 255 for v in rgb))[0]
        nearest = min(COLOR_HUES, key=lambda n: abs((hue - COLOR_HUES[n] + 180) % 360 - 180))
        assert nearest == name and abs((hue - COLOR_HUES[name] + 180) % 360 - 180) <= 10, (name, hue)


SCRIPTED = Path(__file__).resolve().parents[1] / "agent" / "scripted"
"""The scripted policy's modules; every one with an example in a docstring has it run."""


@pytest.mark.parametrize("name", sorted(f"vagent.agent.scripted.{p.stem}".removesuffix(".__init__")
                                        for p in SCRIPTED.glob("*.py") if ">>> " in p.read_text()))
def test_doctests(name):
    import doctest
    import importlib

    result = doctest.testmod(importlib.import_module(name))
    assert result.attempted > 0 and result.failed == 0, name


def test_is_a_policy():
    policy = ScriptedPolicy()
    assert isinstance(policy, Policy) and policy.name == "scripted" and policy.include_schemas is True


@pytest.mark.parametrize(
    "question,options,kind",
    [
        ("When does the red triangle appear in the video?", None, "when"),
        ("A short code is shown briefly in one corner of the video. What is the code?", None, "read"),
        ("How many scene cuts (instant changes of the whole picture) are there in the video?", None, "count"),
        ("Which of these background colours appears first in the video?", ["blue", "red", "green"], "first"),
        ("Where is the white square at t=5.30s?", None, "where"),
        ("What is the man holding?", ["a cup", "a phone"], "general"),
    ],
)
def test_first_turn_parses_into_tool_calls(question, options, kind):
    assert classify_question(question, options) == kind
    messages = _first_messages(question, options)
    text = ScriptedPolicy().generate(messages, SCHEMAS).text
    action = parse_action(text, TOOL_NAMES)
    assert action.kind == "tool_calls", action.errors
    assert action.think and text.startswith("<think>")
    # overview-only mode answers at once, in the answer format of the question
    action = parse_action(ScriptedPolicy(use_tools=False).generate(messages, SCHEMAS).text, TOOL_NAMES)
    assert action.kind == "answer" and action.think


def test_conversation_is_read_back():
    convo = read_conversation(_first_messages("Which?", ["red", "B) blue"], duration=9.5))
    assert convo.question == "Which?" and convo.options == ["red", "blue"] and convo.duration == 9.5
    assert [t for t, _ in convo.overview] == [1.5, 4.5, 7.5, 10.5]
    convo = read_conversation(_first_messages("When does the cyclist pass?"))
    assert convo.question == "When does the cyclist pass?"  # not followed by the frame labels


def test_budget_message_forces_an_answer():
    messages = _first_messages("When does the red triangle appear in the video?")
    messages.append({"role": "assistant", "content": ScriptedPolicy().generate(messages, SCHEMAS).text})
    messages.append({"role": "tool", "name": "detect_scenes", "content": [{"type": "text", "text": "2 scene(s):\nscene 1: 0.00s-3.00s\nscene 2: 3.00s-12.00s"}],
                     "data": {"scenes": [[0.0, 3.0], [3.0, 12.0]]}, "error": False, "budget_spent": None})
    assert parse_action(ScriptedPolicy().generate(messages, SCHEMAS).text, TOOL_NAMES).kind == "tool_calls"
    # the policy reads the notice's budget_spent field, not its wording
    messages.append({"role": "user", "content": [{"type": "text", "text": "(notice)"}], "budget_spent": "max_turns"})
    action = parse_action(ScriptedPolicy().generate(messages, SCHEMAS).text, TOOL_NAMES)
    assert action.kind == "answer"


def _coloured_messages(question: str, colours: list[tuple[int, int, int]]) -> list[dict]:
    """First messages whose overview frames (t = 1.5, 4.5, 7.5, 10.5 of 12 s) are solid ``colours``."""
    messages = _first_messages(question)
    frames = [TimedImage(t, Image.new("RGB", (64, 48), rgb)) for t, rgb in zip((1.5, 4.5, 7.5, 10.5), colours)]
    messages[1]["content"] = messages[1]["content"][:1] + [b for f in frames for b in ({"type": "text", "text": f.label}, image_block(f))]
    return messages


def _answer_after(messages: list[dict], results: list[dict]) -> tuple[str, str]:
    """The policy's think and answer after its first calls got ``results`` and the budget ran out."""
    messages = messages + [{"role": "assistant", "content": ScriptedPolicy().generate(messages, SCHEMAS).text}, *results,
                           {"role": "user", "content": [{"type": "text", "text": "(notice)"}], "budget_spent": "max_turns"}]
    action = parse_action(ScriptedPolicy().generate(messages, SCHEMAS).text, TOOL_NAMES)
    assert action.kind == "answer"
    return action.think, action.answer


RED, BLUE, GREEN = (230, 30, 30), (40, 80, 240), (40, 200, 60)


def test_reads_structured_data_not_result_text():
    question = "How many scene cuts are there in the video?"
    scenes = {"role": "tool", "name": "detect_scenes", "content": [{"type": "text", "text": "(text the policy ignores)"}],
              "data": {"scenes": [[0.0, 3.0], [3.0, 7.0], [7.0, 12.0]]}, "error": False, "budget_spent": None}
    think, answer = _answer_after(_first_messages(question), [scenes])
    assert answer == "2" and "detector lists 3 scene(s)" in think
    # the same scene list as text only (no data): not evidence
    text_only = {"role": "tool", "name": "detect_scenes",
                 "content": [{"type": "text", "text": "3 scene(s):\nscene 1: 0.00s-3.00s\nscene 2: 3.00s-7.00s\nscene 3: 7.00s-12.00s"}]}
    think, answer = _answer_after(_first_messages(question), [text_only])
    assert "no scene list" in think


def test_a_tool_result_that_spends_the_budget_forces_an_answer():
    messages = _first_messages("When does the red triangle appear in the video?")
    messages.append({"role": "assistant", "content": ScriptedPolicy().generate(messages, SCHEMAS).text})
    messages.append({"role": "tool", "name": "detect_scenes", "content": [{"type": "text", "text": "..."}],
                     "data": {"scenes": [[0.0, 12.0]]}, "error": False, "budget_spent": "max_frames"})
    assert parse_action(ScriptedPolicy().generate(messages, SCHEMAS).text, TOOL_NAMES).kind == "answer"


def test_windowed_count_without_a_scene_list_counts_the_window_and_says_it_guessed():
    """Every tool failed: the count is a guess from the overview frames inside the window asked."""
    messages = _coloured_messages("How many cuts are there in the first 3 seconds?", [RED, BLUE, GREEN, RED])
    failed = {"role": "tool", "name": "detect_scenes", "content": [{"type": "text", "text": "detect_scenes failed"}],
              "data": {"tool": "detect_scenes"}, "error": True, "budget_spent": None}
    think, answer = _answer_after(messages, [failed])
    assert answer == "0", think  # one overview frame (red, t=1.5s) lies in 0-3 s; the whole video has 3 changes
    assert "guess" in think and "overview" in think and "0.00s and 3.00s" in think
    think, answer = _answer_after(_coloured_messages("How many cuts are there in the video?", [RED, BLUE, GREEN, RED]), [failed])
    assert answer == "3" and "guess" in think and "overview" in think


@pytest.mark.parametrize("question, said", [
    ("When does the red triangle appear in the video?", "in the overview frames"),  # no crop_clip frames: only the overview
    ("What does the sign say?", "read_text never ran"),
])
def test_with_tools_failing_the_answer_says_what_it_rests_on(question, said):
    messages = _coloured_messages(question, [RED, BLUE, GREEN, RED])
    calls = parse_action(ScriptedPolicy().generate(messages, SCHEMAS).text, TOOL_NAMES).tool_calls
    failed = [{"role": "tool", "name": c.name, "content": [{"type": "text", "text": f"{c.name} failed"}],
               "data": {"tool": c.name}, "error": True, "budget_spent": None} for c in calls]
    think, _ = _answer_after(messages, failed)
    assert said in think, think


def _data_for(name: str, numbers: list[float], texts: list[str]) -> dict:
    """Structured data of the registry's shape for tool ``name``, filled with arbitrary values."""
    pairs = [sorted(numbers[i:i + 2]) for i in range(0, len(numbers) - 1, 2)]
    return {"detect_scenes": {"scenes": pairs},
            "search_clips": {"hits": [[a, b, b - a, a] for a, b in pairs]},
            "read_text": {"time": numbers[0] if numbers else 0.0, "lines": [[t, 0.5] for t in texts]},
            "zoom_frame": {"time": numbers[0] if numbers else 0.0, "box": [0.0, 0.0, 1.0, 1.0]},
            "crop_clip": {"times": numbers}}.get(name, {})


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.too_slow])
@given(
    question=st.text(min_size=0, max_size=80),
    options=st.one_of(st.none(), st.lists(st.text(min_size=1, max_size=12).filter(str.strip), min_size=2, max_size=5)),
    tool_text=st.text(max_size=120),
    numbers=st.lists(st.floats(-5, 50, allow_nan=False), max_size=8),
    texts=st.lists(st.text(max_size=20), max_size=3),
    error=st.booleans(),
    temperature=st.sampled_from([0.0, 1.0]),
)
def test_any_conversation_gives_a_valid_action(question, options, tool_text, numbers, texts, error, temperature):
    policy = ScriptedPolicy(seed=3, temperature=temperature)
    messages = _first_messages(question or "?", options)
    for _ in range(4):  # a few turns with arbitrary tool output
        text = policy.generate(messages, SCHEMAS).text
        action = parse_action(text, TOOL_NAMES)
        assert action.kind in ("tool_calls", "answer"), (text, action.errors)
        if action.kind == "answer":
            break
        messages.append({"role": "assistant", "content": text})
        for call in action.tool_calls:
            messages.append({"role": "tool", "name": call.name, "content": [{"type": "text", "text": tool_text}],
                             "data": {} if error else _data_for(call.name, numbers, texts), "error": error,
                             "budget_spent": None})


def test_stateless_and_seeded():
    messages = _first_messages("What is the man holding?", ["a cup", "a phone"])
    a = ScriptedPolicy(seed=1, temperature=1.0).generate(messages, SCHEMAS).text
    assert a == ScriptedPolicy(seed=1, temperature=1.0).generate(messages, SCHEMAS).text
    assert ScriptedPolicy().generate(messages, SCHEMAS).text == ScriptedPolicy().generate(messages, SCHEMAS).text


# ------------------------------------------------------------------------------ end to end
def _accuracy(state, task) -> float:
    from vagent.env.rewards import accuracy

    return accuracy(state, task)


@pytest.fixture(scope="module")
def tools_factory(tmp_path_factory):
    registry = pytest.importorskip("vagent.tools.registry")
    from vagent.tools.index import IndexSettings, load_or_build

    logging.getLogger("root").setLevel(logging.ERROR)
    settings_ = IndexSettings(clip_pretrained=None, allow_random_clip=True, cache_dir=tmp_path_factory.mktemp("cache"))
    opened = []

    def make(task):
        tools = registry.VideoTools(task.video, load_or_build(task.video, settings_))
        opened.append(tools)
        return tools

    yield make
    for tools in opened:
        tools.close()


def _run(policy, tools, task, budget=None):
    episode = Episode.start(tools, task.question, task.options, budget=budget, task_id=task.id)
    while not episode.done:
        generation = policy.generate(episode.state.messages, tools.schemas())
        assert parse_action(generation.text, tools.names).kind != "invalid", generation.text
        episode.step(generation.text, generation)
    return episode.state


@pytest.mark.slow
def test_tools_beat_the_overview_on_every_family(tools_factory, tmp_path):
    scores: dict[tuple[str, str], list[float]] = {}
    for family in FAMILIES:
        for seed in (1, 2):
            task = make_task(family, seed, tmp_path)
            tools = tools_factory(task)
            for mode, policy in (("tools", ScriptedPolicy()), ("overview", ScriptedPolicy(use_tools=False))):
                state = _run(policy, tools, task)
                assert state.end_reason == "answered"
                scores.setdefault((family, mode), []).append(_accuracy(state, task))
    mean = {key: sum(v) / len(v) for key, v in scores.items()}
    for family in FAMILIES:
        assert mean[(family, "tools")] >= 0.75, mean
    overall_tools = sum(mean[(f, "tools")] for f in FAMILIES) / len(FAMILIES)
    overall_overview = sum(mean[(f, "overview")] for f in FAMILIES) / len(FAMILIES)
    assert overall_tools >= overall_overview + 0.3, mean


@pytest.mark.slow
def test_oracle_and_sampling_stay_honest(tools_factory, tmp_path):
    for family in FAMILIES:
        task = make_task(family, 11, tmp_path)
        tools = tools_factory(task)
        oracle = _run(ScriptedPolicy(oracle=task), tools, task)
        assert _accuracy(oracle, task) >= 0.75, (family, oracle.answer, task.answer)
        sampled = [_run(ScriptedPolicy(seed=s, temperature=1.0), tools, task) for s in (0, 1)]
        assert all(state.end_reason == "answered" for state in sampled)
        again = _run(ScriptedPolicy(seed=0, temperature=1.0), tools, task)
        assert again.messages[2:] == sampled[0].messages[2:]  # seeded sampling replays exactly


@pytest.mark.slow
def test_small_budget_still_ends_with_an_answer(tools_factory, tmp_path):
    task = make_task("appear_when", 4, tmp_path)
    state = _run(ScriptedPolicy(), tools_factory(task), task, budget=Budget(max_turns=2, max_frames=6))
    assert state.answer is not None
