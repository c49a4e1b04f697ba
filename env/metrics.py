"""Each benchmark's own metrics, from task metadata and the per-task results of ``vagent eval``.

Tasks written by :mod:`vagent.env.converters` carry ``metadata.source``; the results of those
tasks are scored here the way each benchmark's paper and official evaluation code score them
(docs/tasks.md, "Benchmark metrics", says where each definition was read). Fractions are in
0..1, not percentages.

>>> grounding_scores([(2.0, 6.0)], [[4.0, 8.0], [0.0, 3.0]])  # IoU 2/6 with the first, IoP 2/4
(0.3333333333333333, 0.5)
>>> grounding_scores([(5.0, 5.0)], [[4.0, 8.0]])  # a point inside a segment: IoP 1, IoU 0
(0.0, 1.0)
"""

from __future__ import annotations

import math
from collections import Counter, defaultdict
from collections.abc import Callable, Iterable
from typing import Any

from vagent.answers import extract_choice, merge_spans, parse_spans, temporal_iou
from vagent.env.tasks import Task

__all__ = ["BENCHMARKS", "benchmark_metrics", "benchmark_tables", "grounding_scores", "predicted_grounding"]

Pair = tuple[Task, dict[str, Any]]
VIDEOMME_DURATIONS = ("short", "medium", "long")


def _mean(values: Iterable[float]) -> float:
    values = list(values)
    return sum(values) / len(values) if values else math.nan


def grounding_scores(pred: Iterable[Any], truth: Iterable[Any]) -> tuple[float, float]:
    """NExT-GQA's ``(IoU, IoP)`` of a predicted grounding against the ground-truth segments.

    Each ground-truth segment is scored on its own and the best IoU and the best IoP are kept
    (separately), as in NExT-GQA's ``eval_ground.py``. IoP is the intersection over the
    prediction's length. Several predicted spans count as their union (the official code takes
    one span, for which this is the same). No prediction scores 0, 0; a point prediction has
    IoU 0 and IoP 1 when it lies inside a segment.
    """
    spans = merge_spans(pred)
    if not spans:
        return 0.0, 0.0
    length = sum(e - s for s, e in spans)
    best_iou = best_iop = 0.0
    for gt_start, gt_end in truth:
        if length <= 0:
            inside = any(gt_start <= s <= gt_end for s, _ in spans)
            best_iop = max(best_iop, float(inside))
            continue
        inter = sum(max(0.0, min(e, gt_end) - max(s, gt_start)) for s, e in spans)
        union = length + (gt_end - gt_start) - inter
        best_iou = max(best_iou, inter / union if union > 0 else 0.0)
        best_iop = max(best_iop, inter / length)
    return best_iou, best_iop


def predicted_grounding(record: dict[str, Any]) -> list[tuple[float, float]]:
    """The spans a result grounds its answer on: ``record["grounding"]`` (written by
    ``evaluate_task``), else the spans written in the answer text."""
    if isinstance(record.get("grounding"), list):
        return [(float(s), float(e)) for s, e in record["grounding"]]
    return parse_spans(record.get("answer"))


def _accuracy_by(pairs: list[Pair], key: Callable[[Task], Any], order: Iterable[str] = ()) -> dict[str, dict[str, float]]:
    groups: dict[str, list[float]] = defaultdict(list)
    for task, record in pairs:
        value = key(task)
        if value is not None and value != "":
            groups[str(value)].append(float(record.get("accuracy", 0.0)))
    names = [name for name in order if name in groups] + sorted(set(groups) - set(order))
    return {name: {"n": len(groups[name]), "accuracy": _mean(groups[name])} for name in names}


def videomme_metrics(pairs: list[Pair]) -> dict[str, Any]:
    """Accuracy overall, by duration (short/medium/long), by task type and by domain.

    ``accuracy`` counts an unanswered question as wrong; ``accuracy_answered`` divides by the
    answered questions only, as Video-MME's ``eval_your_results.py`` does (it skips responses in
    which it finds no option letter).
    """
    correct = [float(record.get("accuracy", 0.0)) for _, record in pairs]
    answered = [c for (task, record), c in zip(pairs, correct) if extract_choice(record.get("answer"), task.options) is not None]
    return {
        "n": len(pairs),
        "accuracy": _mean(correct),
        "answered": len(answered),
        "accuracy_answered": _mean(answered),
        "by_duration": _accuracy_by(pairs, lambda t: t.metadata.get("duration"), VIDEOMME_DURATIONS),
        "by_task_type": _accuracy_by(pairs, lambda t: t.metadata.get("task_type")),
        "by_domain": _accuracy_by(pairs, lambda t: t.metadata.get("domain")),
    }


def mvbench_metrics(pairs: list[Pair]) -> dict[str, Any]:
    """Accuracy per sub-task, their mean, and the pooled accuracy over all questions (MVBench's
    ``Avg``, equal to the mean when every sub-task has the same number of questions)."""
    by_task = _accuracy_by(pairs, lambda t: t.metadata.get("task"))
    return {
        "n": len(pairs),
        "tasks": len(by_task),
        "mean_over_tasks": _mean(stats["accuracy"] for stats in by_task.values()),
        "accuracy": _mean(float(record.get("accuracy", 0.0)) for _, record in pairs),
        "by_task": by_task,
    }


def _span_iou(task: Task, record: dict[str, Any]) -> float:
    if isinstance(record.get("iou"), (int, float)):
        return float(record["iou"])
    return temporal_iou(parse_spans(record.get("answer")), task.answer) if record.get("answer") else 0.0


def charades_metrics(pairs: list[Pair]) -> dict[str, Any]:
    """R@1 at IoU 0.3 / 0.5 / 0.7 (share of queries whose predicted span has IoU >= m with the
    ground truth) and mIoU (mean IoU of the predicted span; 0 without one)."""
    ious = [_span_iou(task, record) for task, record in pairs if task.answer_type == "span"]
    return {
        "n": len(ious),
        "mIoU": _mean(ious),
        **{f"R@1 IoU>={m}": _mean(float(iou >= m) for iou in ious) for m in (0.3, 0.5, 0.7)},
    }


def nextgqa_metrics(pairs: list[Pair]) -> dict[str, Any]:
    """Acc@QA, and over the questions with ground-truth segments: Acc@GQA (answer right and
    IoP >= 0.5), mIoP, IoP@0.3/0.5, mIoU, IoU@0.3/0.5 (NExT-GQA, Xiao et al., CVPR 2024)."""
    grounded, sources = [], Counter()
    for task, record in pairs:
        if not task.evidence:
            continue
        pred = predicted_grounding(record)
        sources[record.get("grounding_from") or ("answer" if pred else "none")] += 1
        iou, iop = grounding_scores(pred, task.evidence)
        grounded.append((float(record.get("accuracy", 0.0)) >= 1.0, iou, iop))
    return {
        "n": len(pairs),
        "Acc@QA": _mean(float(record.get("accuracy", 0.0)) for _, record in pairs),
        "grounded": len(grounded),
        "Acc@GQA": _mean(float(right and iop >= 0.5) for right, _, iop in grounded),
        "mIoP": _mean(iop for _, _, iop in grounded),
        "IoP@0.3": _mean(float(iop >= 0.3) for _, _, iop in grounded),
        "IoP@0.5": _mean(float(iop >= 0.5) for _, _, iop in grounded),
        "mIoU": _mean(iou for _, iou, _ in grounded),
        "IoU@0.3": _mean(float(iou >= 0.3) for _, iou, _ in grounded),
        "IoU@0.5": _mean(float(iou >= 0.5) for _, iou, _ in grounded),
        "grounding_from": dict(sources.most_common()),
    }


BENCHMARKS: dict[str, tuple[str, Callable[[list[Pair]], dict[str, Any]]]] = {
    "videomme": ("Video-MME", videomme_metrics),
    "mvbench": ("MVBench", mvbench_metrics),
    "charades_sta": ("Charades-STA", charades_metrics),
    "nextgqa": ("NExT-GQA", nextgqa_metrics),
}
"""``metadata.source`` → (display name, metric function)."""


def benchmark_metrics(records: Iterable[dict[str, Any]], tasks: Iterable[Task]) -> dict[str, dict[str, Any]]:
    """Metrics per benchmark for the results whose task has a known ``metadata.source``."""
    by_id = {record.get("task_id"): record for record in records}
    groups: dict[str, list[Pair]] = defaultdict(list)
    for task in tasks:
        source = task.metadata.get("source")
        if source in BENCHMARKS and task.id in by_id:
            groups[source].append((task, by_id[task.id]))
    return {source: BENCHMARKS[source][1](pairs) for source, pairs in groups.items()}


def _cell(value: Any) -> str:
    return "" if value is None or (isinstance(value, float) and math.isnan(value)) else f"{value:.3f}" if isinstance(value, float) else str(value)


def _group_table(title: str, groups: dict[str, dict[str, float]]) -> list[str]:
    lines = ["", f"| {title} | n | accuracy |", "|---|---|---|"]
    return lines + [f"| {name} | {stats['n']} | {_cell(stats['accuracy'])} |" for name, stats in groups.items()]


def benchmark_tables(metrics: dict[str, dict[str, Any]]) -> str:
    """The benchmark metrics as Markdown sections (empty when there are none)."""
    lines: list[str] = []
    for source, stats in metrics.items():
        name = BENCHMARKS[source][0]
        lines += ["", f"## {name}", ""]
        if source == "videomme":
            lines.append(f"{stats['n']} questions: accuracy {_cell(stats['accuracy'])}; {stats['answered']} answered with an "
                         f"option letter, accuracy over those {_cell(stats['accuracy_answered'])} (the official script's denominator)")
            lines += _group_table("duration", stats["by_duration"]) + _group_table("task type", stats["by_task_type"])
            lines += _group_table("domain", stats["by_domain"])
        elif source == "mvbench":
            lines.append(f"{stats['n']} questions in {stats['tasks']} sub-task(s): mean over sub-tasks "
                         f"{_cell(stats['mean_over_tasks'])}, all questions pooled {_cell(stats['accuracy'])}")
            lines += _group_table("sub-task", stats["by_task"])
        else:
            keys = [k for k in stats if k not in ("n", "grounding_from")]
            lines += ["| n | " + " | ".join(keys) + " |", "|---" * (len(keys) + 1) + "|",
                      f"| {stats['n']} | " + " | ".join(_cell(stats[k]) for k in keys) + " |"]
            if stats.get("grounding_from"):
                lines += ["", "predicted grounding taken from: " + ", ".join(f"{k} {v}" for k, v in stats["grounding_from"].items())]
    return "\n".join(lines) + ("\n" if lines else "")
