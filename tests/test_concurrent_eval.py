"""``vagent eval --concurrency N``: N tasks at once against a server, resumable, with throughput.

A loopback HTTP server that counts the requests in flight shows the overlap; the slow test runs
the same evaluation against a real ``transformers serve`` with the tiny Qwen3-VL.
"""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import threading
import time
import urllib.request
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests.test_hardening_cli import ChatServer, free_port
from vagent.cli import app

runner = CliRunner()
CLIP = ["--clip-model", "ViT-S-32", "--clip-pretrained", "random"]


def _tasks(tmp_path: Path, video: Path, n: int) -> Path:
    path = tmp_path / "tasks.jsonl"
    lines = [{"id": f"t{i}", "video": str(video), "question": f"What is shown ({i})?", "answer_type": "text", "answer": "frames"}
             for i in range(n)]
    path.write_text("".join(json.dumps(line) + "\n" for line in lines))
    return path


class InFlight:
    """Counts the completions a server is answering at once (each held ``delay`` seconds)."""

    def __init__(self, delay: float):
        self.delay, self.now, self.most, self.lock = delay, 0, 0, threading.Lock()

    def __call__(self) -> None:
        with self.lock:
            self.now += 1
            self.most = max(self.most, self.now)
        time.sleep(self.delay)
        with self.lock:
            self.now -= 1


@pytest.fixture
def server():
    counter = InFlight(0.4)
    chat = ChatServer(["<think>one look is enough</think><answer>frames</answer>"], on_request=counter)
    chat.counter = counter
    yield chat
    chat.close()


def _eval(tasks: Path, out: Path, *args: str):
    return runner.invoke(app, ["eval", str(tasks), "--out", str(out), "--max-turns", "2", *CLIP, *args])


def test_concurrency_runs_tasks_at_once_and_resumes(server, test_videos, tmp_path):
    tasks = _tasks(tmp_path, test_videos["cfr_mp4"].path, 6)
    out = tmp_path / "run"
    result = _eval(tasks, out, "--model", server.url, "--server-model", "m", "--concurrency", "4")
    assert result.exit_code == 0, result.output
    assert server.counter.most == 4  # four tasks' completions were on the server at the same time
    records = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert sorted(r["task_id"] for r in records) == [f"t{i}" for i in range(6)] and all(r["accuracy"] == 1 for r in records)
    speed = json.loads((out / "summary.json").read_text())["throughput"]
    assert speed["tasks"] == 6 and speed["concurrency"] == 4 and speed["tokens"] == 6 * 15
    assert speed["tasks_per_min"] > 0 and speed["tokens_per_s"] > 0 and "tasks/min" in (out / "summary.md").read_text()
    assert len(list((out / "traces").glob("*.jsonl"))) == 6

    # interrupted after four tasks (the last one torn mid-write): a rerun does only the other two
    lines = (out / "results.jsonl").read_text().splitlines()
    (out / "results.jsonl").write_text("\n".join(lines[:4]) + "\n" + lines[4][:20])
    asked = len(server.requests)
    again = _eval(tasks, out, "--model", server.url, "--server-model", "m", "--concurrency", "3")
    assert again.exit_code == 0, again.output
    assert len(server.requests) - asked == 2
    records = [json.loads(line) for line in (out / "results.jsonl").read_text().splitlines()]
    assert sorted(r["task_id"] for r in records) == [f"t{i}" for i in range(6)]
    assert json.loads((out / "summary.json").read_text())["throughput"]["tasks"] == 2


def test_in_process_policy_falls_back_and_says_so(test_videos, tmp_path):
    tasks = _tasks(tmp_path, test_videos["cfr_mp4"].path, 2)
    # sampling (temperature > 0) makes the scripted policy stateful, so not portable to task processes
    result = _eval(tasks, tmp_path / "run", "--model", "scripted", "--temperature", "0.7", "--seed", "0", "--concurrency", "4")
    assert result.exit_code == 0, result.output
    assert "one request at a time: tasks run one after another" in " ".join(result.output.split())
    assert json.loads((tmp_path / "run" / "summary.json").read_text())["throughput"]["concurrency"] == 1


def test_eval_indexes_the_videos_first_and_skips_tasks_of_broken_ones(server, test_videos, tmp_path):
    broken = tmp_path / "broken.mp4"
    broken.write_bytes(b"not a video " * 100)
    good = _tasks(tmp_path, test_videos["cfr_mp4"].path, 2).read_text()
    tasks = tmp_path / "mixed.jsonl"
    tasks.write_text(good + json.dumps({"id": "bad", "video": str(broken), "question": "q?", "answer_type": "text",
                                        "answer": "x"}) + "\n")
    result = _eval(tasks, tmp_path / "run", "--model", server.url, "--server-model", "m", "--concurrency", "2")
    assert result.exit_code == 0, result.output
    output = " ".join(result.output.split())
    assert "1 task(s) skipped: their video could not be indexed" in output and "broken.mp4" in output
    records = [json.loads(line) for line in (tmp_path / "run" / "results.jsonl").read_text().splitlines()]
    assert sorted(r["task_id"] for r in records) == ["t0", "t1"]


@pytest.fixture
def transformers_server(tiny_model_dir):
    """``transformers serve`` on a loopback port with the tiny Qwen3-VL; always stopped."""
    pytest.importorskip("fastapi", reason="pip install 'transformers[serving]'")
    pytest.importorskip("uvicorn", reason="pip install 'transformers[serving]'")
    port = free_port()
    command = [str(Path(sys.executable).parent / "transformers"), "serve", str(tiny_model_dir), "--port", str(port),
               "--host", "127.0.0.1", "--device", "cpu"]
    log = open(tiny_model_dir.parent / f"serve-{port}.log", "w")
    process = subprocess.Popen(command, stdout=log, stderr=subprocess.STDOUT, start_new_session=True,
                               env={**os.environ, "HF_HUB_OFFLINE": "1"})
    try:
        deadline = time.monotonic() + 180
        while True:
            try:
                with urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=2) as response:
                    if response.status == 200:
                        break
            except OSError:
                pass
            assert process.poll() is None, Path(log.name).read_text()[-2000:]
            assert time.monotonic() < deadline, "transformers serve did not answer /v1/models within 180 s"
            time.sleep(0.5)
        yield f"http://127.0.0.1:{port}/v1"
    finally:
        os.killpg(process.pid, signal.SIGTERM)
        try:
            process.wait(timeout=20)
        except subprocess.TimeoutExpired:
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        log.close()


@pytest.mark.slow
def test_concurrent_eval_against_transformers_serve(transformers_server, tiny_model_dir, test_videos, tmp_path):
    from vagent.agent.episode import Budget
    from vagent.agent.openai_policy import OpenAIPolicy
    from vagent.env.environment import EnvConfig
    from vagent.env.evaluate import EvalConfig, evaluate
    from vagent.env.tasks import load_tasks
    from vagent.tools.index import IndexSettings

    tasks = load_tasks(_tasks(tmp_path, test_videos["cfr_mp4"].path, 4))
    policy = OpenAIPolicy(transformers_server, str(tiny_model_dir), temperature=0.0, max_tokens=16, read_timeout=120)
    index = IndexSettings(clip_model="ViT-S-32", clip_pretrained=None, allow_random_clip=True, cache_dir=tmp_path / "cache")
    config = EvalConfig(out_dir=tmp_path / "run", env=EnvConfig(budget=Budget(max_turns=2), index=index, overview_frames=1), concurrency=4)
    summary = evaluate(tasks, policy, config)
    records = [json.loads(line) for line in (tmp_path / "run" / "results.jsonl").read_text().splitlines()]
    assert sorted(r["task_id"] for r in records) == ["t0", "t1", "t2", "t3"]
    assert all("error" not in " ".join(r["end_reasons"]) for r in records), records  # every turn got an answer
    assert summary["throughput"]["concurrency"] == 4 and summary["throughput"]["tokens"] > 0


def _descendants(pid: int) -> set[int]:
    """Every process below ``pid`` (Linux /proc)."""
    found, todo = set(), [pid]
    while todo:
        for children in Path(f"/proc/{todo.pop()}/task").glob("*/children"):
            for child in map(int, children.read_text().split()):
                if child not in found:
                    found.add(child)
                    todo.append(child)
    return found


@pytest.mark.slow
def test_a_terminated_scripted_eval_keeps_its_results_and_leaves_no_processes(test_videos, tmp_path):
    """SIGTERM to ``vagent eval --concurrency 2`` (task processes) is handled like Ctrl-C: the finished
    tasks stay in results.jsonl and no task process or fork server outlives the command."""
    tasks, out = _tasks(tmp_path, test_videos["cfr_mp4"].path, 8), tmp_path / "out"
    command = [sys.executable, "-m", "vagent", "eval", str(tasks), "--out", str(out), "--model", "scripted", "-c", "2",
               "--max-turns", "2", "--cache-dir", str(tmp_path / "cache"), *CLIP]
    log = tmp_path / "eval.log"  # a file, not a pipe: processes that outlive the command would hold a pipe open
    with log.open("w") as sink:
        process = subprocess.Popen(command, stdout=sink, stderr=subprocess.STDOUT)
    workers: set[int] = set()
    try:
        deadline = time.monotonic() + 240
        while not ((out / "results.jsonl").is_file() and (out / "results.jsonl").read_text().strip()):
            assert process.poll() is None and time.monotonic() < deadline, "no task finished"
            time.sleep(0.1)
        workers = _descendants(process.pid)
        process.send_signal(signal.SIGTERM)
        code = process.wait(timeout=60)
    finally:
        if process.poll() is None:
            process.kill()
        deadline = time.monotonic() + 15  # the fork server and resource tracker leave once the command is gone
        while [pid for pid in workers if Path(f"/proc/{pid}").exists()] and time.monotonic() < deadline:
            time.sleep(0.2)
        left = [pid for pid in workers if Path(f"/proc/{pid}").exists()]
        for pid in left:  # never leave them to the rest of the suite
            os.kill(pid, signal.SIGKILL)
    assert workers, "the tasks did not run in processes"
    assert code == 130, log.read_text()[-2000:]
    assert not left, "task processes outlived the command"
    assert (out / "results.jsonl").read_text().splitlines()  # finished work kept
