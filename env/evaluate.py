"""Evaluation: run the agent over a task file, score every answer, summarise.

Results are appended to ``results.jsonl`` as each task finishes, so an interrupted run
resumes where it stopped (finished tasks are not redone). A results folder belongs to one run:
``run.json`` records the run's configuration (model, sampling, strategy, budget, reward, index
settings), and resuming with another configuration raises :class:`RunMismatch`. Each task's
trace is saved under ``traces/``. The summary reports accuracy by answer type, mIoU and
R@0.3/0.5/0.7 for spans, the mean cost per task (tool calls, frames, tokens, seconds,
trajectories), and each benchmark's own metrics (:mod:`vagent.env.metrics`).
"""

from __future__ import annotations

import json
import math
import os
import time
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from collections.abc import Callable
from dataclasses import asdict, dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

from vagent.agent.measures import guessed
from vagent.agent.policy import Policy
from vagent.agent.scaling import ScalingConfig, run_scaled
from vagent.agent.trace import Trace
from vagent.answers import parse_spans, temporal_iou
from vagent.env.concurrency import in_task_process, run_concurrently, task_processes, task_workers, threaded
from vagent.env.environment import EnvConfig, batch_config, start_episode
from vagent.env.metrics import benchmark_metrics, benchmark_tables
from vagent.env.rewards import accuracy, task_spec
from vagent.env.tasks import Task
from vagent.errors import ConfigError

IOU_THRESHOLDS = (0.3, 0.5, 0.7)


@dataclass
class EvalConfig:
    """What to evaluate and how."""

    out_dir: Path
    """Results, traces and the summary go here; an existing ``results.jsonl`` is resumed."""
    env: EnvConfig = field(default_factory=EnvConfig)
    """Budget, overview frames, index settings and the reward spec scored for every task (``reward``
    in results, next to accuracy); ``include_schemas`` is the policy's own."""
    scaling: ScalingConfig = field(default_factory=ScalingConfig)
    save_traces: bool = True
    concurrency: int = 1
    """Tasks run at once: in threads when the policy takes concurrent requests (``concurrent = True``:
    an OpenAI-compatible server, a local model with batched turns), their tools in tool workers
    (``env.tool_workers``); in worker processes (:func:`~vagent.tools.processes.worker_context`), each
    with its own copy of the policy and its own tools, when the policy is ``portable`` (the scripted policy at temperature 0); other policies run
    one task at a time (see :func:`~vagent.env.concurrency.task_workers`). Not part of the run's identity: a run may resume at
    another concurrency."""

    def __post_init__(self) -> None:
        if self.concurrency < 1:
            raise ValueError(f"concurrency must be at least 1, got {self.concurrency}")


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
    episode_config = replace(config.env, include_schemas=policy.include_schemas)
    result = run_scaled(partial(start_episode, task, episode_config), policy, config.env.budget, config.scaling)
    chosen = result.trajectories[result.chosen] if result.chosen is not None else result.trajectories[0]
    final = {"answer": result.answer, "steps": chosen.steps, "tool_calls": chosen.tool_calls, "frames_shown": chosen.frames_shown}
    reward, components = task_spec(task, config.env.reward).score(final, task)
    record: dict[str, Any] = {
        "task_id": task.id,
        "answer_type": task.answer_type,
        "answer": result.answer,
        "truth": task.answer,
        "accuracy": accuracy(final, task),
        "guess": guessed(chosen),
        "reward": reward,
        "reward_components": components,
        "end_reasons": [t.end_reason for t in result.trajectories],
        "votes": [{"answer": v.answer, "count": v.count} for v in result.votes],
        **{f"cost_{key}": value for key, value in result.cost.items()},
    }
    if task.answer_type == "span":
        record["iou"] = temporal_iou(parse_spans(result.answer), task.answer) if result.answer else 0.0
    if task.evidence:
        record["grounding"], record["grounding_from"] = grounding(result.answer, chosen.steps)
    meta = {"task_id": task.id, "model": policy.name, "video": task.video, "question": task.question,
            "answer_type": task.answer_type, "truth": task.answer, "evidence": task.evidence, **result.summary()}
    trace = Trace(result.trajectories, answer=result.answer, meta=meta)  # the page shows the truth beside the answer
    return record, trace


def grounding(answer: str | None, steps: list[dict[str, Any]]) -> tuple[list[list[float]], str]:
    """Where a trajectory grounds its answer, and where that was read: the spans written in the
    answer (``"answer"``), else the window of its last successful ``crop_clip`` call
    (``"last_crop"``), else nothing (``"none"``)."""
    spans = parse_spans(answer)
    if spans:
        return [[s, e] for s, e in spans], "answer"
    for step in reversed(steps):
        for call in reversed(step.get("calls") or []):
            arguments = call.get("arguments") or {}
            if call.get("tool") == "crop_clip" and not call.get("error"):
                try:
                    start, end = float(arguments["start"]), float(arguments["end"])
                except (KeyError, TypeError, ValueError):
                    continue
                return [[min(start, end), max(start, end)]], "last_crop"
    return [], "none"


class RunMismatch(ConfigError):
    """A results folder holds another run's results (see :func:`claim_folder`)."""


def run_configuration(policy: Policy, config: EvalConfig) -> dict[str, Any]:
    """What decides a run's results: model and sampling, strategy, budget, reward, index settings."""
    scaling = config.scaling
    strategy: dict[str, Any] = {"strategy": scaling.strategy, "samples": scaling.samples}
    if scaling.strategy == "best_of_n":
        strategy["verifier"] = scaling.verifier
    if scaling.strategy == "adaptive":
        strategy.update(agree=scaling.agree, round_size=scaling.round_size, grow_frames=scaling.grow_frames)
    env = config.env
    index = {k: v for k, v in asdict(env.index).items() if k != "cache_dir"}
    identity = {
        "model": policy.name,
        "temperature": getattr(policy, "temperature", None),
        "seed": getattr(policy, "seed", None),
        **strategy,
        "budget": asdict(env.budget),
        "reward": env.reward,
        "overview_frames": env.overview_frames,
        "index": index,
    }
    return json.loads(json.dumps(identity, default=str))


def _flat(data: dict[str, Any], prefix: str = "") -> dict[str, Any]:
    flat: dict[str, Any] = {}
    for key, value in data.items():
        if isinstance(value, dict):
            flat.update(_flat(value, f"{prefix}{key}."))
        else:
            flat[f"{prefix}{key}"] = value
    return flat


def claim_folder(out: Path, identity: dict[str, Any]) -> None:
    """Record ``identity`` in ``out/run.json``, or check that the folder's run is this one.

    Raises :class:`RunMismatch` naming each setting that differs, or when the folder has
    results but no ``run.json`` (from before runs were recorded).
    """
    run_file, results = out / "run.json", out / "results.jsonl"
    fresh = f"Results from two runs cannot share a folder: pass a new --out folder, or delete {out} to start this run over."
    if run_file.is_file():
        try:
            recorded = json.loads(run_file.read_text(encoding="utf-8"))["config"]
        except (ValueError, KeyError, TypeError):
            raise RunMismatch(f"{run_file}: unreadable run record. {fresh}") from None
        before, now = _flat(recorded), _flat(identity)
        differences = [f"{key} {before.get(key)!r} there, {now.get(key)!r} now" for key in dict.fromkeys([*before, *now])
                       if before.get(key) != now.get(key)]
        if differences:
            raise RunMismatch(f"{out} holds the results of another run configuration ({'; '.join(differences)}). {fresh}")
        return
    if results.is_file() and results.stat().st_size > 0:
        raise RunMismatch(f"{out} has results but no run.json (written before vagent recorded each run's configuration), "
                          f"so they cannot be matched to this run. {fresh}")
    run_file.write_text(json.dumps({"config": identity}, indent=2) + "\n", encoding="utf-8")


def evaluate(
    tasks: list[Task],
    policy: Policy,
    config: EvalConfig,
    on_task: Callable[[int, int, dict[str, Any]], None] | None = None,
) -> dict[str, Any]:
    """Evaluate ``tasks`` (resuming ``config.out_dir``), write and return the summary.

    With ``config.concurrency > 1`` and a concurrent policy, that many tasks run at once; each
    finished task is appended to ``results.jsonl`` as it finishes (in finishing order), so an
    interrupted run resumes as a sequential one does. If a task raises, the tasks already
    running are finished and kept, no new one starts, and the error is raised.
    """
    out = Path(config.out_dir)
    out.mkdir(parents=True, exist_ok=True)
    results_path = out / "results.jsonl"
    claim_folder(out, run_configuration(policy, config))
    _repair_tail(results_path)
    done = _read_results(results_path)
    workers, _ = task_workers(policy, config.concurrency)
    finished = 0
    for task in tasks:
        if task.id in done:
            finished += 1
            if on_task:
                on_task(finished, len(tasks), done[task.id])
    todo = [task for task in tasks if task.id not in done]
    started, ran = time.perf_counter(), []

    def keep(task: Task, outcome: tuple[dict[str, Any], Trace]) -> None:
        nonlocal finished
        record, trace = outcome
        if config.save_traces:
            trace.save(out / "traces" / f"{_safe(task.id)}.jsonl")
        _append(results_path, record)
        done[task.id] = record
        ran.append(record)
        finished += 1
        if on_task:
            on_task(finished, len(tasks), record)

    in_threads = threaded(policy) and (workers > 1 or config.scaling.samples > 1)
    if in_threads:  # trajectories in threads: their tools in worker processes
        config = replace(config, env=batch_config(config.env))
    if workers == 1:
        for task in todo:
            keep(task, evaluate_task(task, policy, config))
    elif in_threads:
        with ThreadPoolExecutor(max_workers=workers, thread_name_prefix="vagent-eval") as pool:
            run_concurrently(todo, lambda task: pool.submit(evaluate_task, task, policy, config), workers, keep)
    else:  # a portable policy: whole tasks in task processes, each with its own policy and in-process tools
        run = (policy, replace(config, env=replace(config.env, tool_workers=0)))
        with task_processes(workers, run, preload=(__name__, type(policy).__module__)) as pool:
            run_concurrently(todo, lambda task: pool.submit(in_task_process, _evaluate_with, task), workers, keep)
    records = [done[task.id] for task in tasks if task.id in done]
    summary = summarise(records, tasks)
    summary["model"] = policy.name
    summary["strategy"] = config.scaling.strategy
    summary["samples"] = config.scaling.samples
    summary["throughput"] = throughput(ran, time.perf_counter() - started, workers)
    (out / "summary.json").write_text(json.dumps(summary, indent=2), encoding="utf-8")
    (out / "summary.md").write_text(summary_table(summary), encoding="utf-8")
    return summary


def _evaluate_with(run: tuple[Policy, EvalConfig], task: Task) -> tuple[dict[str, Any], Trace]:
    """:func:`evaluate_task` in a task process, with that process's copy of the policy and config."""
    return evaluate_task(task, *run)


def throughput(records: list[dict[str, Any]], seconds: float, concurrency: int) -> dict[str, Any]:
    """Tasks per minute and tokens (prompt + completion) per second of the tasks run now (not resumed ones)."""
    tokens = sum(r.get("cost_tokens", 0) for r in records)
    rate = seconds > 0 and records
    return {
        "tasks": len(records), "seconds": round(seconds, 3), "concurrency": concurrency, "tokens": tokens,
        "tasks_per_min": round(60 * len(records) / seconds, 3) if rate else None,
        "tokens_per_s": round(tokens / seconds, 3) if rate else None,
    }


def _safe(name: str) -> str:
    return "".join(ch if ch.isalnum() or ch in "-_." else "_" for ch in name)[:120]


def _mean(values: list[float]) -> float:
    return sum(values) / len(values) if values else math.nan


def summarise(records: list[dict[str, Any]], tasks: list[Task] | None = None) -> dict[str, Any]:
    """Accuracy by answer type, span mIoU and recall at IoU thresholds, mean cost, and (given
    the ``tasks``) each benchmark's own metrics under ``"benchmarks"``."""
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
        "benchmarks": benchmark_metrics(records, tasks or []),
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
    speed = summary.get("throughput") or {}
    if speed.get("tasks"):
        lines += ["", f"throughput: {speed['tasks']} tasks run now in {speed['seconds']:.1f} s at concurrency "
                  f"{speed['concurrency']}: {speed['tasks_per_min']:.2f} tasks/min, {speed['tokens_per_s']:.1f} tokens/s"]
    return "\n".join(lines) + "\n" + benchmark_tables(summary.get("benchmarks") or {})
