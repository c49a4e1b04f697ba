"""Evaluation: results/summary files, resume after a torn write, and the compute sweep."""

from __future__ import annotations

import json
import math
from typing import Any

import pytest

from vagent.agent.episode import Budget, Generation
from vagent.agent.scaling import ScalingConfig
from vagent.agent.scripted import ScriptedPolicy
from vagent.env.environment import EnvConfig
from vagent.env.evaluate import EvalConfig, RunMismatch, claim_folder, evaluate, grounding, run_configuration, summarise, summary_table
from vagent.env.tasks import Task
from vagent.env.sweep import sweep
from vagent.env.synthetic import make_task
from tests.test_episode import RANDOM_CLIP

RESULT_KEYS = {"task_id", "answer_type", "answer", "truth", "accuracy", "reward", "reward_components", "end_reasons", "votes",
               "cost_trajectories", "cost_tool_calls", "cost_frames", "cost_audio_seconds", "cost_tokens", "cost_seconds"}


@pytest.fixture(scope="module")
def tasks(tmp_path_factory):
    """Four answer types, four distinct questions."""
    out = tmp_path_factory.mktemp("eval-tasks")
    return [
        make_task("appear_when", 0, out),  # span
        make_task("count_cuts", 1, out, variant="number"),
        make_task("where_at", 2, out),  # box
        make_task("count_cuts", 3, out, variant="choice"),
    ]


class Guarded:
    """The scripted policy, refusing (and recording) questions of tasks that must not be redone."""

    name, include_schemas, temperature, seed = "scripted", True, 0.0, None  # the run configuration of ScriptedPolicy()

    def __init__(self, forbidden: list[str]):
        self.inner = ScriptedPolicy()
        self.forbidden = forbidden
        self.asked: list[str] = []
        self.violations: list[str] = []

    def generate(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> Generation:
        question = messages[1]["content"][0]["text"]
        if not any(m["role"] == "assistant" for m in messages):
            self.asked.append(question)
        if any(q in question for q in self.forbidden):
            self.violations.append(question)
            raise AssertionError("a finished task was run again")
        return self.inner.generate(messages, tools)


def eval_config(out, **scaling) -> EvalConfig:
    return EvalConfig(out_dir=out, env=EnvConfig(budget=Budget(max_turns=10), index=RANDOM_CLIP, overview_frames=4),
                      scaling=ScalingConfig(**scaling) if scaling else ScalingConfig())


@pytest.mark.slow
def test_evaluate_writes_results_and_summary_then_resumes(tasks, tmp_path):
    out = tmp_path / "run"
    seen = []
    summary = evaluate(tasks, ScriptedPolicy(), eval_config(out), on_task=lambda i, n, record: seen.append((i, n)))
    assert seen == [(1, 4), (2, 4), (3, 4), (4, 4)]
    lines = (out / "results.jsonl").read_text().splitlines()
    records = [json.loads(line) for line in lines]
    assert [r["task_id"] for r in records] == [t.id for t in tasks]
    assert all(RESULT_KEYS <= set(r) for r in records) and "iou" in records[0]
    assert sorted(p.name for p in (out / "traces").iterdir()) == sorted(f"{t.id}.jsonl" for t in tasks)

    assert set(summary) >= {"n", "accuracy", "reward", "by_type", "cost_per_task", "model", "strategy", "samples"}
    assert summary["n"] == 4 and summary["model"] == "scripted" and summary["strategy"] == "single"
    assert set(summary["by_type"]) == {"span", "number", "box", "choice"}
    span = summary["by_type"]["span"]
    assert set(span) == {"n", "accuracy", "mIoU", "R@0.3", "R@0.5", "R@0.7"} and span["mIoU"] == records[0]["iou"]
    assert span["R@0.5"] == float(records[0]["iou"] >= 0.5)
    assert summary["accuracy"] > 0.75, "the scripted policy solves these synthetic tasks"
    assert set(summary["cost_per_task"]) == {"trajectories", "tool_calls", "frames", "audio_seconds", "tokens", "seconds"}
    assert summary["cost_per_task"]["tool_calls"] == pytest.approx(sum(r["cost_tool_calls"] for r in records) / 4)
    assert json.loads((out / "summary.json").read_text()) == json.loads(json.dumps(summary))
    table = (out / "summary.md").read_text()
    assert "| answer type | n | accuracy | mIoU | R@0.3 | R@0.5 | R@0.7 |" in table and "| span | 1 |" in table
    assert "| tool_calls |" in table

    # resume: the summary is gone and the last line was torn mid-write
    (out / "summary.json").unlink()
    torn = "\n".join(lines[:-1]) + "\n" + lines[-1][: len(lines[-1]) // 2]
    (out / "results.jsonl").write_text(torn)
    policy = Guarded([t.question for t in tasks[:-1]])
    resumed = evaluate(tasks, policy, eval_config(out))
    assert policy.violations == [] and len(policy.asked) == 1 and tasks[-1].question in policy.asked[0]
    assert resumed["n"] == 4 and (out / "summary.json").is_file()
    assert resumed["by_type"]["choice"] == summary["by_type"]["choice"]
    lines = (out / "results.jsonl").read_text().splitlines()
    assert [json.loads(line)["task_id"] for line in lines] == [t.id for t in tasks], "the torn line is gone"

    # everything finished: a re-run asks the policy nothing
    policy = Guarded([t.question for t in tasks])
    assert evaluate(tasks, policy, eval_config(out))["n"] == 4 and policy.asked == []


def test_sweep_writes_table_and_plot(tasks, tmp_path):
    cheap = [tasks[2]]  # where_at: one or two tool calls per trajectory
    rows = sweep(cheap, lambda: ScriptedPolicy(seed=0, temperature=1.0), eval_config(tmp_path), samples=(1, 2))
    assert [(r["strategy"], r["N"]) for r in rows] == [
        (s, n) for s in ("self_consistency", "best_of_n", "adaptive") for n in (1, 2)
    ]
    for row in rows:
        assert row["trajectories"] == row["N"] and row["accuracy"] > 0.5
    table = (tmp_path / "sweep.md").read_text()
    assert table.count("\n") == 2 + len(rows) and "| best_of_n | 2 |" in table
    png = (tmp_path / "sweep.png").read_bytes()
    assert png[:8] == b"\x89PNG\r\n\x1a\n"
    assert all((tmp_path / f"{s}-n{n}" / "summary.json").is_file() for s, n in [(r["strategy"], r["N"]) for r in rows])


def test_a_complete_last_record_without_newline_is_kept(tasks, tmp_path):
    policy = Guarded([t.question for t in tasks])
    claim_folder(tmp_path, run_configuration(policy, eval_config(tmp_path)))
    records = [{"task_id": t.id, "answer_type": t.answer_type, "accuracy": 1.0, "reward": 1.0} for t in tasks]
    (tmp_path / "results.jsonl").write_text("\n".join(json.dumps(r) for r in records))  # no final newline
    summary = evaluate(tasks, policy, eval_config(tmp_path))
    assert policy.asked == [] and summary["n"] == 4 and summary["accuracy"] == 1.0
    assert (tmp_path / "results.jsonl").read_text().endswith("}\n")


def test_summarise_by_type():
    records = [
        {"answer_type": "span", "accuracy": 0.6, "reward": 1.0, "iou": 0.6, "cost_tool_calls": 2},
        {"answer_type": "span", "accuracy": 0.2, "reward": 0.0, "iou": 0.2, "cost_tool_calls": 4},
        {"answer_type": "choice", "accuracy": 1.0, "reward": 1.0, "cost_tool_calls": 0},
    ]
    summary = summarise(records)
    span = summary["by_type"]["span"]
    assert span["mIoU"] == pytest.approx(0.4) and (span["R@0.3"], span["R@0.5"], span["R@0.7"]) == (0.5, 0.5, 0.0)
    assert summary["by_type"]["choice"] == {"n": 1, "accuracy": 1.0}
    assert summary["accuracy"] == pytest.approx(0.6) and summary["cost_per_task"] == {"tool_calls": 2.0}
    summary.update(model="m", strategy="single", samples=1)
    assert "| choice | 1 | 1.000 |  |  |  |  |" in summary_table(summary)
    assert math.isnan(summarise([])["accuracy"])


def finished_folder(out, tasks, policy, config):
    """A results folder in which this run finished every task (no episode needs to run)."""
    out.mkdir(parents=True, exist_ok=True)
    claim_folder(out, run_configuration(policy, config))
    records = [{"task_id": t.id, "answer_type": t.answer_type, "accuracy": 1.0, "reward": 1.0, "answer": "A"} for t in tasks]
    (out / "results.jsonl").write_text("".join(json.dumps(r) + "\n" for r in records))


def test_a_results_folder_belongs_to_one_run(tasks, tmp_path):
    out = tmp_path / "run"
    finished_folder(out, tasks, Guarded([]), eval_config(out))
    before = (out / "results.jsonl").read_text()
    assert json.loads((out / "run.json").read_text())["config"]["model"] == "scripted"
    assert evaluate(tasks, Guarded([t.question for t in tasks]), eval_config(out))["n"] == 4  # same run: resumed

    class Other(Guarded):
        name = "tiny"

    with pytest.raises(RunMismatch, match=r"holds the results of another run configuration \(model 'scripted' there, 'tiny' now\)\. "
                                           r"Results from two runs cannot share a folder: pass a new --out folder"):
        evaluate(tasks, Other([t.question for t in tasks]), eval_config(out))
    with pytest.raises(RunMismatch, match=r"strategy 'single' there, 'self_consistency' now; samples 1 there, 4 now"):
        evaluate(tasks, Guarded([t.question for t in tasks]), eval_config(out, strategy="self_consistency", samples=4))
    config = eval_config(out)
    config.env.budget = Budget(max_turns=3)
    with pytest.raises(RunMismatch, match=r"budget\.max_turns 10 there, 3 now"):
        evaluate(tasks, Guarded([t.question for t in tasks]), config)
    assert (out / "results.jsonl").read_text() == before, "a refused run changes nothing"

    legacy = tmp_path / "legacy"
    legacy.mkdir()
    (legacy / "results.jsonl").write_text((out / "results.jsonl").read_text())
    with pytest.raises(RunMismatch, match=r"has results but no run\.json"):
        evaluate(tasks, Guarded([t.question for t in tasks]), eval_config(legacy))


def test_cli_refuses_a_second_model_in_the_same_folder(tasks, tmp_path):
    from typer.testing import CliRunner

    from vagent.cli import app
    from vagent.env.tasks import save_tasks

    out = tmp_path / "run"
    save_tasks(tasks, tmp_path / "tasks.jsonl")
    finished_folder(out, tasks, Guarded([]), eval_config(out))
    result = CliRunner().invoke(app, ["eval", str(tmp_path / "tasks.jsonl"), "--model", "scripted-no-tools", "--out", str(out),
                                      "--clip-pretrained", "random"])
    output = " ".join(result.output.split())  # rich wraps long lines
    assert result.exit_code == 2, output
    assert "another run configuration" in output and "model 'scripted' there, 'scripted-no-tools' now" in output
    assert "rerun to resume" not in output


def test_evaluate_writes_each_benchmarks_metrics(tmp_path):
    tasks = [Task(f"nextgqa/v/{i}", "/v.mp4", "why?", "choice", "A", ["x", "y"], evidence=[[0.0, 4.0]],
                  metadata={"source": "nextgqa"}) for i in range(2)]
    out = tmp_path / "run"
    finished_folder(out, tasks, Guarded([]), eval_config(out))
    lines = (out / "results.jsonl").read_text().splitlines()
    first = {**json.loads(lines[0]), "grounding": [[2.0, 6.0]], "grounding_from": "last_crop"}  # IoU 1/3, IoP 1/2
    (out / "results.jsonl").write_text(json.dumps(first) + "\n" + lines[1] + "\n")
    summary = evaluate(tasks, Guarded([t.question for t in tasks]), eval_config(out))
    gqa = summary["benchmarks"]["nextgqa"]
    assert gqa["Acc@QA"] == 1.0 and gqa["Acc@GQA"] == 0.5 and gqa["mIoP"] == 0.25 and gqa["mIoU"] == pytest.approx(1 / 6)
    assert json.loads((out / "summary.json").read_text())["benchmarks"]["nextgqa"]["Acc@GQA"] == 0.5
    table = (out / "summary.md").read_text()
    assert "## NExT-GQA" in table and "| n | Acc@QA | grounded | Acc@GQA | mIoP |" in table
    assert "predicted grounding taken from: last_crop 1, none 1" in table


def test_grounding_reads_the_answer_then_the_last_crop():
    crop = lambda start, end, error=None: {"tool": "crop_clip", "arguments": {"start": start, "end": end}, "error": error}  # noqa: E731
    steps = [{"calls": [crop(1, 3)]}, {"calls": [{"tool": "search_clips", "arguments": {"query": "x"}, "error": None},
                                                 crop(8, 5), crop(20, 30, error="out of range")]}]
    assert grounding("B, from 12s to 15.5s", steps) == ([[12.0, 15.5]], "answer")
    assert grounding("B", steps) == ([[5.0, 8.0]], "last_crop")
    assert grounding("B", [{"calls": [{"tool": "search_clips", "arguments": {}, "error": None}]}]) == ([], "none")
