"""Benchmark scale: corpus indexing with 1 and 2 worker processes, eval at concurrency 1, 2, 4.

    python bench/corpus.py [--videos 4] [--seconds 60] [--tasks 8] [--no-server]

Indexing: generated videos (random ViT-S-32 CLIP), each worker count into a fresh cache; reports
videos/hour and the realtime factor, as a ratio to 1 worker measured in the same run. Eval: a
``transformers serve`` with the tiny Qwen3-VL on a loopback port, ``--tasks`` tasks over one
video, 16 completion tokens per turn, 2 turns; tasks/min and tokens/s against concurrency 1.
"""

from __future__ import annotations

import argparse
import json
import os
import signal
import subprocess
import sys
import tempfile
import time
import urllib.request
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from tests import videos  # noqa: E402
from vagent.tools.corpus import index_corpus  # noqa: E402
from vagent.tools.index import IndexSettings, clear_memo  # noqa: E402


def bench_index(root: Path, n: int, seconds: float) -> list[str]:
    paths = []
    for i in range(n):
        paths.append(root / f"v{i}.mp4")
        videos.make_video(paths[-1], num_frames=int(seconds * 10), fps=10, width=480, height=270, scene_every=50 + 7 * i)
    rows, base = [], None
    for workers in (1, 2):
        clear_memo()
        settings = IndexSettings(clip_model="ViT-S-32", clip_pretrained=None, allow_random_clip=True, cache_dir=root / f"cache{workers}")
        started = time.perf_counter()
        results = index_corpus(paths, settings, workers=workers)
        wall = time.perf_counter() - started
        assert all(r.status == "indexed" for r in results), results
        per_hour, realtime = 3600 * n / wall, n * seconds / wall
        base = base or per_hour
        rows.append(f"| {workers} | {n} x {seconds:.0f} s | {wall:.1f} s | {per_hour:.0f} | {realtime:.1f}x | {per_hour / base:.2f}x |")
    return ["| workers | videos | wall | videos/hour | realtime | vs 1 worker |", "|---|---|---|---|---|---|", *rows]


def bench_eval(root: Path, n_tasks: int) -> list[str]:
    from vagent.agent.episode import Budget
    from vagent.agent.openai_policy import OpenAIPolicy
    from vagent.agent.tiny_model import tiny_model_path
    from vagent.env.environment import EnvConfig
    from vagent.env.evaluate import EvalConfig, evaluate
    from vagent.env.tasks import load_tasks

    model = tiny_model_path(root / "models")
    video = root / "v0.mp4"
    tasks_file = root / "tasks.jsonl"
    tasks_file.write_text("".join(json.dumps({"id": f"t{i}", "video": str(video), "question": f"What is shown ({i})?",
                                              "answer_type": "text", "answer": "frames"}) + "\n" for i in range(n_tasks)))
    port = 18000 + os.getpid() % 1000
    server = subprocess.Popen([str(Path(sys.executable).parent / "transformers"), "serve", str(model), "--port", str(port),
                               "--host", "127.0.0.1", "--device", "cpu"], stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
                              start_new_session=True)
    try:
        for _ in range(360):
            try:
                urllib.request.urlopen(f"http://127.0.0.1:{port}/v1/models", timeout=2)
                break
            except OSError:
                time.sleep(0.5)
        rows, base = [], None
        index = IndexSettings(clip_model="ViT-S-32", clip_pretrained=None, allow_random_clip=True, cache_dir=root / "cache1")
        for concurrency in (1, 2, 4):
            policy = OpenAIPolicy(f"http://127.0.0.1:{port}/v1", str(model), temperature=0.0, max_tokens=16, read_timeout=300)
            config = EvalConfig(out_dir=root / f"eval{concurrency}", env=EnvConfig(budget=Budget(max_turns=2), index=index,
                                overview_frames=1), concurrency=concurrency)
            speed = evaluate(load_tasks(tasks_file), policy, config)["throughput"]
            base = base or speed["tasks_per_min"]
            rows.append(f"| {concurrency} | {speed['tasks']} | {speed['seconds']:.1f} s | {speed['tasks_per_min']:.2f} | "
                        f"{speed['tokens_per_s']:.0f} | {speed['tasks_per_min'] / base:.2f}x |")
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=30)
    return ["| concurrency | tasks | wall | tasks/min | tokens/s | vs 1 |", "|---|---|---|---|---|---|", *rows]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--videos", type=int, default=4)
    parser.add_argument("--seconds", type=float, default=60.0)
    parser.add_argument("--tasks", type=int, default=8)
    parser.add_argument("--no-server", action="store_true")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory() as tmp:
        root = Path(tmp)
        print("\n".join(bench_index(root, args.videos, args.seconds)), flush=True)
        if not args.no_server:
            print()
            print("\n".join(bench_eval(root, args.tasks)))


if __name__ == "__main__":
    main()
