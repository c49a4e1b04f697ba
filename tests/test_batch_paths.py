"""Batch paths submit at once: evaluation and collection of a portable policy in task processes, test-time samples
and the GRPO tool phase with their tools in worker processes (issue 23). Each gives what the
one-after-another path gives."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vagent.agent.episode import Budget
from vagent.agent.scaling import ScalingConfig, run_scaled
from vagent.agent.scripted import ScriptedPolicy
from vagent.env.environment import EnvConfig, start_episode
from vagent.env.evaluate import EvalConfig, evaluate
from vagent.env.tasks import Task
from vagent.tools.index import IndexSettings
from vagent.tools.workers import shared_pool

pytestmark = pytest.mark.slow  # spawned processes load the tools (and the scripted policy's embedder)


def _tasks(text_video, scene_video) -> list[Task]:
    return [
        Task(id="read", video=str(text_video.path), question="What text is written on the screen?",
             answer_type="text", answer="HELLO VIDEO 2024"),
        Task(id="scenes", video=str(scene_video.path), question="How many scenes are in this video?",
             answer_type="number", answer=3),
        Task(id="cut", video=str(scene_video.path), question="When does the second scene start?",
             answer_type="number", answer=4.0),
    ]


def test_scripted_eval_runs_tasks_in_processes_with_the_same_results(text_video, scene_video, tmp_path):
    tasks = _tasks(text_video, scene_video)[1:]
    index = IndexSettings(clip_model="ViT-S-32", clip_pretrained=None, allow_random_clip=True, cache_dir=tmp_path / "cache")
    env = EnvConfig(budget=Budget(max_turns=3), index=index)
    runs = {}
    for concurrency in (1, 2):
        summary = evaluate(tasks, ScriptedPolicy(), EvalConfig(out_dir=tmp_path / f"c{concurrency}", env=env,
                                                               concurrency=concurrency))
        assert summary["throughput"]["concurrency"] == concurrency and summary["n"] == 2
        lines = (tmp_path / f"c{concurrency}" / "results.jsonl").read_text().splitlines()
        runs[concurrency] = {r["task_id"]: (r["answer"], r["reward"], r["cost_tool_calls"], r["cost_frames"])
                             for r in map(json.loads, lines)}
        assert len(list((tmp_path / f"c{concurrency}" / "traces").iterdir())) == 2
    assert runs[2] == runs[1]
    assert runs[1]["scenes"][0] == "3" and runs[1]["scenes"][2] >= 1  # a real answer, found with a tool


def test_scripted_collect_in_task_processes_writes_the_same_dataset(text_video, scene_video, tmp_path):
    from vagent.env.tasks import save_tasks
    from vagent.training import collect

    save_tasks(_tasks(text_video, scene_video), tmp_path / "tasks.jsonl")
    index = {"clip_model": "ViT-S-32", "clip_pretrained": None, "allow_random_clip": True, "cache_dir": str(tmp_path / "cache")}
    datasets = {}
    for concurrency in (1, 2):
        out = tmp_path / f"c{concurrency}" / "sft.jsonl"
        result = collect.run(collect.load_config(None, {
            "tasks": str(tmp_path / "tasks.jsonl"), "out": str(out), "min_reward": 0.5, "progress": False,
            "concurrency": concurrency, "env": {"index": index, "budget": {"max_turns": 3}}}))
        assert result.episodes == 3 and result.kept >= 2 and result.concurrency == concurrency
        lines = [json.loads(line) for line in out.read_text().splitlines()]
        images = [b["image"] for line in lines for m in line["messages"] if isinstance(m["content"], list)
                  for b in m["content"] if b["type"] == "image"]
        assert images and all((out.parent / image).is_file() for image in images)
        datasets[concurrency] = lines
    order = ["read", "scenes", "cut"]
    ids = [line["task_id"] for line in datasets[2]]
    assert ids == sorted(ids, key=order.index)  # task order, whichever task finished first
    assert datasets[2] == datasets[1]


def test_collect_from_a_server_runs_tasks_in_threads(text_video, scene_video, tmp_path):
    """A server teacher (ChatServer: a loopback stand-in for vLLM) is asked for 2 tasks at once; lines stay in task order."""
    from tests.test_concurrent_eval import InFlight
    from tests.test_hardening_cli import ChatServer
    from vagent.env.tasks import save_tasks
    from vagent.training import collect

    save_tasks(_tasks(text_video, scene_video), tmp_path / "tasks.jsonl")
    index = {"clip_model": "ViT-S-32", "clip_pretrained": None, "allow_random_clip": True, "cache_dir": str(tmp_path / "cache")}
    counter = InFlight(0.4)
    server = ChatServer(["<think>three</think><answer>3</answer>"], on_request=counter)
    try:
        result = collect.run(collect.load_config(None, {
            "tasks": str(tmp_path / "tasks.jsonl"), "out": str(tmp_path / "sft.jsonl"), "policy": server.url,
            "min_reward": 0.0, "progress": False, "concurrency": 2, "env": {"index": index, "tool_workers": 2}}))
    finally:
        server.close()
    assert result.concurrency == 2 and counter.most == 2 and result.episodes == 3
    ids = [json.loads(line)["task_id"] for line in (tmp_path / "sft.jsonl").read_text().splitlines()]
    assert ids == ["read", "scenes", "cut"]


def test_parallel_samples_with_pooled_tools_match_in_process_samples(text_video, scene_video, tmp_path):
    """A concurrent policy's samples run at once, their calls in tool workers; votes and costs are unchanged."""
    task = _tasks(text_video, scene_video)[1]
    index = IndexSettings(clip_model="ViT-S-32", clip_pretrained=None, allow_random_clip=True, cache_dir=tmp_path / "cache")

    class ThreadedScripted(ScriptedPolicy):
        concurrent = True  # deterministic at temperature 0, so threads may share it

    results = []
    for workers in (0, 2):
        env = EnvConfig(budget=Budget(max_turns=4), index=index, tool_workers=workers)
        start = lambda budget, scale: start_episode(task, env, budget, scale)  # noqa: E731
        results.append(run_scaled(start, ThreadedScripted(), env.budget, ScalingConfig("self_consistency", samples=2)))
    in_process, pooled = results
    assert pooled.answer == in_process.answer == "3"
    assert {k: v for k, v in pooled.cost.items() if k != "seconds"} == {k: v for k, v in in_process.cost.items() if k != "seconds"}
    assert [t.messages for t in pooled.trajectories] == [t.messages for t in in_process.trajectories]
    assert shared_pool(2).max_in_flight >= 2  # the samples' calls ran at once


def test_ask_samples_from_a_server_run_their_tool_calls_at_once(scene_video, tmp_path, monkeypatch):
    """``vagent ask -n 2`` with a server URL: the two samples' calls run in tool workers at the same
    time. The server is a loopback stand-in for vLLM (ChatServer): both first turns call read_text."""
    import time

    from typer.testing import CliRunner

    from tests.test_hardening_cli import ChatServer
    from vagent.cli import app

    monkeypatch.setenv("VAGENT_TOOL_WORKERS", "3")  # a pool of its own: max_in_flight counts this run only
    call = '<think>look</think>\n<tool_call>\n{"name": "read_text", "arguments": {"time": 5.0}}\n</tool_call>'
    server = ChatServer([call, call, "<think>three scenes</think><answer>3</answer>"], on_request=lambda: time.sleep(0.3))
    try:
        result = CliRunner().invoke(app, [
            "ask", str(scene_video.path), "How many scenes?", "--model", server.url, "--strategy", "self_consistency",
            "-n", "2", "--cache-dir", str(tmp_path / "cache"), "--clip-model", "ViT-S-32", "--clip-pretrained", "random",
            "--trace-out", str(tmp_path / "trace.jsonl")])
    finally:
        server.close()
    assert result.exit_code == 0, result.output
    assert "'3'×2" in result.output
    assert shared_pool(3).max_in_flight >= 2


def test_grpo_step_runs_all_rollouts_tool_calls_at_once(tiny_model_dir, tmp_path):
    """One GRPO step of 4 rollouts, each calling two tools in its first turn: the calls run in the tool
    workers at the same time, and every rollout still sees its results and earns its reward."""
    from tests.test_trl_env import RANDOM_INDEX, _scripted_generation
    from vagent.env.synthetic import make_suite
    from vagent.training.grpo import build_trainer
    from vagent.training.grpo_config import VagentGRPOConfig

    task = make_suite(1, tmp_path / "tasks", seed=7, families=["count_cuts"], variant="number", duration=6.0)[0]
    trainer = build_trainer(VagentGRPOConfig(
        model=str(tiny_model_dir), tasks=str(tmp_path / "tasks" / "tasks.jsonl"), output_dir=str(tmp_path / "out"),
        max_steps=1, per_device_train_batch_size=4, num_generations=4, max_completion_length=1500,
        max_tool_calling_iterations=2, learning_rate=1e-3, beta=0.0, activation_checkpointing=False, save_strategy="no",
        report_to="none", logging_steps=1, seed=0,
        env={"reward": "accuracy", "overview_frames": 1, "index": RANDOM_INDEX, "tool_workers": 2}))
    calls = ('<think>scenes, then a look</think>\n<tool_call>\n{"name": "detect_scenes", "arguments": {}}\n</tool_call>\n'
             '<tool_call>\n{"name": "crop_clip", "arguments": {"start": 0.0, "end": 3.0, "num_frames": 2}}\n</tool_call>')
    _scripted_generation(trainer, [calls, f"<think>counted</think><answer>{int(task.answer)}</answer>"])
    pool = shared_pool(2)
    pool.max_in_flight = 0
    trainer.train()
    assert pool.max_in_flight >= 2, "the rollouts' tool calls ran one after another"
    logs = [row for row in trainer.state.log_history if "reward" in row]
    assert logs[0]["reward"] == 1.0 and logs[0]["tools/detect_scenes"] == 1.0 and logs[0]["tools/crop_clip"] == 1.0
    assert logs[0]["episode/tool_calls"] == 2.0 and logs[0]["episode/frames"] > 2.0  # 2 crop frames + scene thumbnails
