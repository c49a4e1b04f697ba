"""Evaluation: run the agent over a task file, score every answer, summarise.

Results are appended to ``results.jsonl`` as each task finishes, so an interrupted run
resumes where it stopped (finished tasks are not redone). Each task's trace is saved under
``traces/``. The summary reports accuracy by answer type, mIoU and R@0.3/0.5/0.7 for spans,
and the mean cost per task (tool calls, frames, tokens, seconds, trajectories).
"""

from __future__ import annotations

import json
import math
import os
from collections import defaultdict
from collections.abc import Callable
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vagent.agent.episode import Budget, Episode
from vagent.agent.policy import Policy
from vagent.agent.scaling import ScalingConfig, run_scaled
from vagent.agent.trace import Trace
from vagent.env.environment import tools_for
from vagent.env.rewards import RewardSpec, accuracy, parse_spans, temporal_iou
from vagent.env.tasks import Task
from vagent.tools.index import IndexSettings

IOU_THRESHOLDS = (0.3, 0.5, 0.7)


@dataclass
class EvalConfig:
    """What to evaluate and how."""

    out_dir: Path
    """Results, traces and the summary go here; an existing ``results.jsonl`` is resumed."""
    budget: Budget = field(default_factory=Budget)
    scaling: ScalingConfig = field(default_factory=ScalingConfig)
    index: IndexSettings = field(default_factory=IndexSettings)
    reward: str = "default"
    """Reward spec scored for every task (``reward`` in results), next to accuracy."""
    overview_frames: int = 4
    save_traces: bool = True


def _read_results(path: Path) -> dict[str, dict[str, Any]]:
    """Finished results by task id; a torn last line (killed mid-write) is ignored."""
    done: dict[str, dict[str, Any]] = {}
    if path.is_file():
        for line in path.read_text(encoding="utf-8").splitlines():
            try:
                record = json.loads(line)
                done[record["task_id"]] = record
            except (json.JSONDecodeError, KeyError, TypeError):
                continue
    return done


def _repair_tail(path: Path) -> None:
    """Make the file end with a newline so appends start a fresh line: a torn last line (killed
    mid-write) is cut off; a complete record that only lacks its newline gets one."""
    if not path.is_file():
        return
    with path.open("rb+") as handle:
        data = handle.read()
        if not data or data.endswith(b"\n"):
            return
        start = data.rfind(b"\n") + 1
        try:
            json.loads(data[start:])
            handle.write(b"\n")
        except ValueError:
            handle.truncate(start)


def _append(path: Path, record: dict[str, Any]) -> None:
    with path.open("a", encoding="utf-8") as handle:
        handle.write(json.dumps(record, ensure_ascii=False) + "\n")
        handle.flush()
        os.fsync(handle.fileno())


def evaluate_task(task: Task, policy: Policy, config: EvalConfig) -> tuple[dict[str, Any], Trace]:
    """Answer one task with the configured strategy and score it."""
    tools = tools_for(task.video, config.index)

    def start(budget: Budget, scale: int) -> Episode:
        return Episode.start(
            tools,
            task.question,
            task.options,
            budget,
            overview_frames=config.overview_frames * scale,
            include_schemas=policy.include_schemas,
            task_id=task.id,
        )

    result = run_scaled(start, policy, config.budget, config.scaling)
    chosen = result.trajectories[result.chosen] if result.chosen is not None else result.trajectories[0]
    final = {"answer": result.answer, "steps": chosen.steps, "tool_calls": chosen.tool_calls, "frames_shown": chosen.frames_shown}
    reward, components = RewardSpec.parse(task.reward or config.reward).score(final, task)
    record: dict[str, Any] = {
        "task_id": task.id,
        "answer_type": task.answer_type,
        "answer": result.answer,
        "truth": task.answer,
        "accuracy": accuracy(final, task),
        "reward": reward,
        "reward_components": components,
        "end_reasons": [t.end_reason for t in result.trajectories],
        "votes": [{"answer": v.answer, "count": v.count} for v in result.votes],
        **{f"cost_{key}": value for key, value in result.cost.items()},
    }
    if task.answer_type == "span":
        record["iou"] = temporal_iou(parse_spans(result.answer), task.answer) if result.answer else 0.0
    trace = Trace(result.trajectories, answer=result.answer, meta={"task_id": task.id, "model": policy.name, **result.summary()})
    return record, trace


def evaluate(
    tasks: list[Task],
    policy: Policy,
    config: EvalConfig,
    on_task: Callable[[int, int, dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Evaluate ``tasks`` (resuming ``config.out_dir``), write and return the summary."""
    out = Path(config.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    results_path = out / "results.jsonl"
    _repair_tail(results_path)
    done = _read_results(results_path)
    for position, task in enumerate(tasks, start=1):
        if task.id in done:
            if on_task:
                on_task(position, len(tasks), done[task.id])
            continue
        record, trace = evaluate_task(task, policy, config)
        if config.save_traces:
            trace.save(out / "traces" / f"{_safe(task.id)}.jsonl")
        _append(results_path, record)
        done[task.id] = record
        if on_task:
            on_task(position, len(tasks), record)
    records = [done[task.id] for task in tasks if task.id in done]
    summary = summarise(records)
    summary["model"] = policy.name
    summary["strategy"] = config.scaling.strategy
    summary["samples"] = config.scaling.samples
    (out / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    (out / "summary.md").write_text(summary_table(summary), encoding="utf-8")
    return summary


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)[:120]


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else math.nan


def summarise(records: list[dict[str, Any]]) -> dict[str, Any]:
    """Accuracy by answer type, span mIoU and recall at IoU thresholds, and mean cost."""
    by_type: dict[str, list[dict[str, Any]]] = defaultdict(list)
    for record in records:
        by_type[record["answer_type"]].append(record)
    types: dict[str, dict[str, float]] = {}
    for kind, group in sorted(by_type.items()):
        stats = {"n": len(group), "accuracy": _mean([r["accuracy"] for r in group])}
        if kind == "span":
            ious = [r.get("iou", 0.0) for r in group]
            stats["mIoU"] = _mean(ious)
            for threshold in IOU_THRESHOLDS:
                stats[f"R@{threshold}"] = _mean([float(iou >= threshold) for iou in ious])
        types[kind] = stats
    cost_keys = sorted({key for r in records for key in r if key.startswith("cost_")})
    return {
        "n": len(records),
        "accuracy": _mean([r["accuracy"] for r in records]),
        "reward": _mean([r["reward"] for r in records]),
        "by_type": types,
        "cost_per_task": {key[5:]: _mean([r.get(key, 0.0) for r in records]) for key in cost_keys},
    }


def summary_table(summary: dict[str, Any]) -> str:
    """The summary as a Markdown table."""
    lines = [
        f"model `{summary.get('model')}`, strategy `{summary.get('strategy')}` x{summary.get('samples')}, "
        f"{summary['n']} tasks: accuracy {summary['accuracy']:.3f}, mean reward {summary['reward']:.3f}",
        "",
        "| answer type | n | accuracy | mIoU | R@0.3 | R@0.5 | R@0.7 |",
        "|---|---|---|---|---|---|---|",
    ]
    for kind, stats in summary["by_type"].items():
        cells = [f"{stats[k]:.3f}" if k in stats else "" for k in ("accuracy", "mIoU", "R@0.3", "R@0.5", "R@0.7")]
        lines.append(f"| {kind} | {stats['n']} | " + " | ".join(cells) + " |")
    lines += ["", "| cost per task | mean |", "|---|---|"]
    lines += [f"| {key} | {value:.2f} |" for key, value in summary["cost_per_task"].items()]
    return "\n".join(lines) + "\n"
