"""SFT data whose reasoning supports its answer: the oracle never overrides, collect drops and counts."""

from __future__ import annotations

import json

import pytest

from vagent.env.tasks import Task, save_tasks
from vagent.training.consistency import think_contradicts

RANDOM_CLIP = {"clip_model": "ViT-S-32", "clip_pretrained": None, "allow_random_clip": True}


@pytest.mark.parametrize("think, answer, kind, why", [
    ("No option is written on screen; option A matches the video best in search.", "C", "choice", "option A"),
    ("Option colours as seen: red at 1.0s, blue at 2.0s; so red comes first.", "B", "choice", None),
    ("The detector lists 5 scene(s); so the answer is 4.", "4", "number", None),
    ("I have no count; I answer 1.", "3", "number", "concludes 1"),
    ("The blue diamond is visible from 5.90s to 6.90s in the frames I checked.", "[5.90, 6.90]", "span", None),
    ("The blue diamond is visible from 5.90s to 6.90s in the frames I checked.", "[2.00, 3.00]", "span", "span"),
    ("The white square occupies [0.479, 0.428, 0.571, 0.552] of the frame.", "[0.477, 0.427, 0.570, 0.552]", "box", None),
    ("The white square occupies [0.10, 0.10, 0.30, 0.30] of the frame.", "[0.5, 0.5, 0.9, 0.9]", "box", "box"),
    ('The text reads "RPYD" (OCR confidence 1.00).', "RPYD", "text", None),
    ('The text reads "RPYD" (OCR confidence 1.00).', "RPYO", "text", "quotes"),
])
def test_think_contradicts_names_the_other_answer(think, answer, kind, why):
    found = think_contradicts(think, answer, kind)
    assert (found is None) if why is None else (why in found)


def _general_tasks(suite_tasks: list[Task]) -> list[Task]:
    """Converter-style questions the synthetic generator never asks (no text on screen for them)."""
    video, other = suite_tasks[0].video, suite_tasks[1].video
    return [
        Task(id="g-choice", video=video, question="What is the mood of this video?", answer_type="choice", answer="C",
             options=["happy", "sad", "calm", "angry"]),
        Task(id="g-choice-2", video=other, question="Which season is it?", answer_type="choice", answer="A",
             options=["winter", "summer", "spring"]),
        Task(id="g-text", video=other, question="What is the name of the place shown?", answer_type="text", answer="paris"),
        Task(id="g-span", video=video, question="When does the picture change?", answer_type="span", answer=[[1.0, 2.0]]),
        Task(id="g-number", video=video, question="How many people are there?", answer_type="number", answer=3),
        Task(id="g-box", video=video, question="Where is the main object at 1.0s?", answer_type="box",
             answer=[0.1, 0.1, 0.4, 0.4], metadata={"time": 1.0}),
    ]


@pytest.fixture(scope="module")
def consistency_run(tmp_path_factory):
    from vagent.env.synthetic import FAMILIES, make_suite
    from vagent.training import collect

    root = tmp_path_factory.mktemp("consistency")
    suite = make_suite(2 * len(FAMILIES), root / "suite", seed=11)
    tasks = suite + _general_tasks(suite)
    save_tasks(tasks, root / "all.jsonl")
    config = collect.load_config(None, {"tasks": str(root / "all.jsonl"), "out": str(root / "sft.jsonl"), "min_reward": 0.0,
                                        "env": {"index": RANDOM_CLIP}, "progress": False})
    return tasks, collect.run(config)


def test_oracle_collect_never_argues_for_another_answer(consistency_run):
    """Every family and converter-style general tasks: the kept final turns name only their own answer."""
    from vagent.agent.protocol import parse_action

    tasks, result = consistency_run
    by_id = {t.id: t for t in tasks}
    lines = [json.loads(line) for line in result.path.read_text().splitlines()]
    assert result.episodes == len(tasks) and result.kept == len(lines)
    assert result.kept + result.dropped_reward + result.dropped_inconsistent == result.episodes
    assert result.dropped_inconsistent == 0  # the scripted oracle answers what its evidence says
    families = {by_id[line["task_id"]].metadata.get("family", "general") for line in lines}
    assert {"appear_when", "corner_text", "count_cuts", "where_at", "general"} <= families
    for line in lines:
        task = by_id[line["task_id"]]
        action = parse_action(line["messages"][-1]["content"])
        assert think_contradicts(action.think or "", action.answer, task.answer_type) is None, (task.id, action.think)


def test_oracle_answer_is_the_evidence_answer_not_the_gold(consistency_run):
    """On a general choice task with no text on screen the gold letter is never slipped in."""
    from vagent.agent.protocol import parse_action

    tasks, result = consistency_run
    gold = {t.id: str(t.answer) for t in tasks}
    lines = {json.loads(line)["task_id"]: json.loads(line) for line in result.path.read_text().splitlines()}
    checked = 0
    for task_id in ("g-choice", "g-choice-2", "g-text", "g-number"):
        if task_id in lines:  # kept with min_reward 0: the gold answer only where the think names it
            action = parse_action(lines[task_id]["messages"][-1]["content"])
            assert action.answer != gold[task_id] or action.answer in (action.think or ""), (task_id, action.think)
            checked += 1
    assert checked >= 3


def test_collect_drops_and_counts_a_teacher_that_contradicts_itself(tmp_path, monkeypatch):
    """A teacher whose think names option A but answers the gold B: dropped, counted, not written."""
    from vagent.agent.episode import Generation
    from vagent.env.synthetic import make_suite
    from vagent.training import collect

    suite = make_suite(1, tmp_path / "suite", seed=0, families=["count_cuts"])
    task = Task(id="c", video=suite[0].video, question="Which mood?", answer_type="choice", answer="B", options=["x", "y"])
    save_tasks([task], tmp_path / "t.jsonl")

    class SelfContradicting:
        include_schemas = False
        name = "self-contradicting teacher"

        def generate(self, messages, tools):
            return Generation(text="<think>Option A matches the video best.</think><answer>B</answer>")

    monkeypatch.setattr(collect, "_policy", lambda *args: SelfContradicting())
    result = collect.run(collect.load_config(None, {"tasks": str(tmp_path / "t.jsonl"), "out": str(tmp_path / "o.jsonl"),
                                                    "env": {"index": RANDOM_CLIP}, "progress": False}))
    assert (result.kept, result.dropped_inconsistent, result.dropped_reward) == (0, 1, 0)
    assert result.path.read_text() == ""
