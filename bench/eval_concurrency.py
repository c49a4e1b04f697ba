"""`vagent eval --model scripted --concurrency N` against `--concurrency 1`, through the CLI, one table.

    OMP_NUM_THREADS=1 python bench/eval_concurrency.py [--tasks 16 32] [--concurrency 2] [--repeats 2]

Generates ``max(--tasks)`` synthetic tasks (``vagent gym make --seed 3``), indexes their videos once
(random ViT-S-32, the cache shared by every run), then times each ``vagent eval`` command as a user
runs it (wall clock of the whole command: start-up, worker processes, every task) on the first N
tasks, alternating concurrency 1 and N ``--repeats`` times, and checks that every run wrote the same
answers. Prints the median wall per setting and the ratio (the acceptance of issue 23: >= 1.5x at
``--concurrency 2`` on a 2-core machine).
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path

CLIP = ["--clip-model", "ViT-S-32", "--clip-pretrained", "random"]


def vagent(*args: str) -> None:
    subprocess.run([sys.executable, "-m", "vagent", *args], check=True, stdout=subprocess.DEVNULL)


def answers(out: Path) -> dict[str, object]:
    lines = (out / "results.jsonl").read_text(encoding="utf-8").splitlines()
    return {row["task_id"]: row["answer"] for row in map(json.loads, lines)}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, nargs="+", default=[16, 32], help="task counts to time")
    parser.add_argument("--concurrency", type=int, default=2)
    parser.add_argument("--repeats", type=int, default=2, help="runs per setting (alternating)")
    args = parser.parse_args()
    scratch = tempfile.TemporaryDirectory(prefix="vagent-evalc-")  # removed when the script ends
    work = Path(scratch.name)
    cache = ["--cache-dir", str(work / "cache"), *CLIP]
    vagent("gym", "make", "--n", str(max(args.tasks)), "--seed", "3", "--out", str(work / "gym"))
    vagent("index", str(work / "gym" / "tasks.jsonl"), *cache)
    print(f"machine: {os.cpu_count()} cores, load average {os.getloadavg()[0]:.1f} at start")
    print("| tasks | concurrency | runs | wall s (median) | runs' walls | x vs 1 | same answers |")
    print("|---|---|---|---|---|---|---|")
    for count in args.tasks:
        tasks = work / "gym" / f"tasks{count}.jsonl"  # beside the videos its lines name
        lines = (work / "gym" / "tasks.jsonl").read_text(encoding="utf-8").splitlines()[:count]
        tasks.write_text("\n".join(lines) + "\n", encoding="utf-8")
        walls: dict[int, list[float]] = {1: [], args.concurrency: []}
        seen: list[dict[str, object]] = []
        for run in range(args.repeats):
            for concurrency in walls:
                out = work / f"out-{count}-{concurrency}-{run}"
                started = time.perf_counter()
                vagent("eval", str(tasks), "--model", "scripted", "-c", str(concurrency), "--out", str(out), *cache)
                walls[concurrency].append(time.perf_counter() - started)
                seen.append(answers(out))
        same = all(run == seen[0] for run in seen)
        base = statistics.median(walls[1])
        for concurrency, times in walls.items():
            wall = statistics.median(times)
            print(f"| {count} | {concurrency} | {len(times)} | {wall:.1f} | {', '.join(f'{t:.1f}' for t in times)} | "
                  f"{base / wall:.2f} | {'yes' if same else 'NO'} |", flush=True)
    print(f"\nload average {os.getloadavg()[0]:.1f} at the end")


if __name__ == "__main__":
    main()
