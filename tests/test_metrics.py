"""Each benchmark's own metrics, on hand-computed cases."""

from __future__ import annotations

import doctest
import random

import pytest

import vagent.env.metrics as metrics_module
from vagent.env.evaluate import summarise, summary_table
from vagent.env.metrics import benchmark_metrics, grounding_scores
from vagent.env.tasks import Task


def choice(task_id, source, answer="A", evidence=None, **metadata):
    return Task(task_id, "/v.mp4", "q?", "choice", answer, ["a", "b", "c", "d"], evidence=evidence,
                metadata={"source": source, **metadata})


def result(task_id, accuracy, answer="A", **extra):
    return {"task_id": task_id, "answer_type": "choice", "accuracy": float(accuracy), "reward": 0.0, "answer": answer, **extra}


def test_grounding_scores_hand_computed():
    # prediction [2, 6]; segments [4, 8] (overlap 2, union 6) and [0, 3] (overlap 1, union 6)
    assert grounding_scores([(2, 6)], [[4, 8], [0, 3]]) == pytest.approx((2 / 6, 2 / 4))
    # IoU and IoP maxima may come from different segments: [1, 9] vs [0, 10] (IoU .8, IoP 1) and [1, 2] (IoU 1/8)
    assert grounding_scores([(1, 9)], [[1, 2], [0, 10]]) == pytest.approx((0.8, 1.0))
    assert grounding_scores([(10, 12)], [[0, 3]]) == (0.0, 0.0)  # disjoint
    assert grounding_scores([], [[0, 3]]) == (0.0, 0.0)  # no prediction
    assert grounding_scores([(2, 2)], [[0, 3]]) == (0.0, 1.0) and grounding_scores([(5, 5)], [[0, 3]]) == (0.0, 0.0)
    # two predicted spans count as their union: [0, 2] + [4, 6] against [1, 5]: overlap 2, union 6, IoP 2/4
    assert grounding_scores([(0, 2), (4, 6)], [[1, 5]]) == pytest.approx((2 / 6, 0.5))


def _reference(pred, truth):
    """NExT-GQA's per-question rule, restated: hull-based IoU and IoP over the prediction per
    segment, a possibly negative overlap floored by the running maximum that starts at 0."""
    best_iou = best_iop = 0.0
    for gs, ge in truth:
        ps, pe = pred
        overlap = min(ge, pe) - max(gs, ps)
        hull = max(ge, pe) - min(gs, ps)
        best_iou = max(best_iou, overlap / hull if hull > 0 else 0.0)
        best_iop = max(best_iop, overlap / (pe - ps) if pe > ps else 0.0)
    return best_iou, best_iop


def test_grounding_scores_match_the_official_rule_on_random_single_spans():
    rng = random.Random(0)
    for _ in range(500):
        s = rng.uniform(0, 30)
        pred = (s, s + rng.uniform(0.1, 20))
        truth = [sorted((rng.uniform(0, 40), rng.uniform(0, 40))) for _ in range(rng.randint(1, 3))]
        truth = [[a, b + 0.01] for a, b in truth]
        assert grounding_scores([pred], truth) == pytest.approx(_reference(pred, truth))


def test_nextgqa_metrics_hand_computed():
    tasks = [
        choice("g1", "nextgqa", evidence=[[0.0, 10.0]]),   # right, grounded [2, 6] inside: IoU .4, IoP 1
        choice("g2", "nextgqa", evidence=[[0.0, 4.0]]),    # right, grounded [2, 6]: IoU 2/6, IoP .5
        choice("g3", "nextgqa", evidence=[[0.0, 4.0]]),    # wrong, grounded [3, 5]: IoU 1/5, IoP .5
        choice("g4", "nextgqa", evidence=[[8.0, 9.0]]),    # right, no grounding: 0, 0
        choice("g5", "nextgqa"),                           # right, no ground-truth segment: only in Acc@QA
        choice("g6", "nextgqa", evidence=[[0.0, 4.0]]),    # right, grounded [2, 7]: IoU 2/7, IoP .4 (< .5: not in Acc@GQA)
    ]
    records = [
        result("g1", 1, grounding=[[2.0, 6.0]], grounding_from="last_crop"),
        result("g2", 1, answer="A, seen at [2, 6]"),
        result("g3", 0, grounding=[[3.0, 5.0]], grounding_from="answer"),
        result("g4", 1, grounding=[], grounding_from="none"),
        result("g5", 1),
        result("g6", 1, grounding=[[2.0, 7.0]], grounding_from="last_crop"),
    ]
    gqa = benchmark_metrics(records, tasks)["nextgqa"]
    assert gqa["n"] == 6 and gqa["grounded"] == 5
    assert gqa["Acc@QA"] == pytest.approx(5 / 6)
    assert gqa["Acc@GQA"] == pytest.approx(2 / 5)  # g1 and g2: right and IoP >= 0.5
    assert gqa["mIoP"] == pytest.approx((1 + 0.5 + 0.5 + 0 + 0.4) / 5)
    assert (gqa["IoP@0.3"], gqa["IoP@0.5"]) == (pytest.approx(4 / 5), pytest.approx(3 / 5))
    assert gqa["mIoU"] == pytest.approx((0.4 + 2 / 6 + 0.2 + 0 + 2 / 7) / 5)
    assert (gqa["IoU@0.3"], gqa["IoU@0.5"]) == (pytest.approx(2 / 5), 0.0)
    assert gqa["grounding_from"] == {"last_crop": 2, "answer": 2, "none": 1}


def test_videomme_metrics_by_duration_and_task_type():
    spec = [("short", "OCR Problems", 1, "A"), ("short", "Counting Problem", 0, "B"), ("medium", "OCR Problems", 1, "A"),
            ("medium", "OCR Problems", 0, "I cannot tell"), ("long", "Counting Problem", 0, "C"), ("long", "Counting Problem", 1, "A")]
    tasks = [choice(f"v{i}", "videomme", duration=d, task_type=t, domain="Knowledge") for i, (d, t, _, _) in enumerate(spec)]
    records = [result(f"v{i}", acc, answer) for i, (_, _, acc, answer) in enumerate(spec)]
    vmme = benchmark_metrics(records, tasks)["videomme"]
    assert vmme["n"] == 6 and vmme["accuracy"] == pytest.approx(3 / 6)
    assert vmme["answered"] == 5 and vmme["accuracy_answered"] == pytest.approx(3 / 5)  # the official denominator
    assert list(vmme["by_duration"]) == ["short", "medium", "long"]
    assert {k: v["accuracy"] for k, v in vmme["by_duration"].items()} == {"short": 0.5, "medium": 0.5, "long": 0.5}
    assert vmme["by_task_type"] == {"Counting Problem": {"n": 3, "accuracy": pytest.approx(1 / 3)},
                                    "OCR Problems": {"n": 3, "accuracy": pytest.approx(2 / 3)}}
    assert vmme["by_domain"] == {"Knowledge": {"n": 6, "accuracy": 0.5}}


def test_mvbench_mean_over_sub_tasks_differs_from_pooled_when_sizes_differ():
    tasks = [choice(f"a{i}", "mvbench", task="action_antonym") for i in range(4)] + [choice("c0", "mvbench", task="character_order")]
    records = [result("a0", 1), result("a1", 1), result("a2", 1), result("a3", 0), result("c0", 0)]
    mv = benchmark_metrics(records, tasks)["mvbench"]
    assert mv["by_task"] == {"action_antonym": {"n": 4, "accuracy": 0.75}, "character_order": {"n": 1, "accuracy": 0.0}}
    assert mv["tasks"] == 2 and mv["mean_over_tasks"] == pytest.approx(0.375) and mv["accuracy"] == pytest.approx(3 / 5)


def test_charades_recall_at_iou_and_miou():
    tasks = [Task(f"s{i}", "/v.mp4", "when?", "span", [[0.0, 10.0]], metadata={"source": "charades_sta"}) for i in range(5)]
    ious = [0.6, 0.2, 0.75, 0.5]
    records = [{"task_id": f"s{i}", "answer_type": "span", "accuracy": iou, "reward": 0.0, "iou": iou, "answer": "x"}
               for i, iou in enumerate(ious)]
    records.append({"task_id": "s4", "answer_type": "span", "accuracy": 0.3, "reward": 0.0, "answer": "[7, 10]"})  # IoU 3/10
    sta = benchmark_metrics(records, tasks)["charades_sta"]
    assert sta["n"] == 5 and sta["mIoU"] == pytest.approx((0.6 + 0.2 + 0.75 + 0.5 + 0.3) / 5)
    assert (sta["R@1 IoU>=0.3"], sta["R@1 IoU>=0.5"], sta["R@1 IoU>=0.7"]) == (0.8, 0.6, 0.2)


def test_summary_carries_benchmark_sections_and_ignores_unknown_sources():
    tasks = [choice("v0", "videomme", duration="short", task_type="OCR Problems"), choice("m0", "mvbench", task="state_change"),
             choice("x0", "synthetic")]
    records = [result("v0", 1), result("m0", 0), result("x0", 1)]
    summary = summarise(records, tasks)
    assert set(summary["benchmarks"]) == {"videomme", "mvbench"}
    summary.update(model="m", strategy="single", samples=1)
    table = summary_table(summary)
    assert "## Video-MME" in table and "| short | 1 | 1.000 |" in table and "| task type | n | accuracy |" in table
    assert "## MVBench" in table and "| state_change | 1 | 0.000 |" in table
    assert summarise(records)["benchmarks"] == {}


def test_doctests():
    outcome = doctest.testmod(metrics_module)
    assert outcome.attempted > 0 and outcome.failed == 0
