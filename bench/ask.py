"""Ask questions with known answers: scripted-policy accuracy and where each question's time goes.

    OMP_NUM_THREADS=1 python bench/ask.py               # 20 synthetic tasks, 5 per family
    python bench/ask.py --tasks 8 --no-tools            # answer from the overview frames only

Videos come from ``env/synthetic.py`` (generated, with exact answers). Latency per question is
split into ``index`` (``VideoTools.open`` into a fresh cache: decode, scenes, thumbnails, RANDOM
CLIP embeddings), ``policy`` (the steps' ``policy_seconds``) and ``tools`` (the steps'
``tool_seconds``: tool calls, parsing, budget checks); ``other`` is the rest of the episode
(starting it: overview frames; graph overhead). CLIP model creation happens once, before.
"""

from __future__ import annotations

import argparse
import sys
import tempfile
import time
from collections import defaultdict
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vagent.agent.episode import Budget, Episode  # noqa: E402
from vagent.agent.graph import run_episode  # noqa: E402
from vagent.agent.scripted import ScriptedPolicy  # noqa: E402
from vagent.env.rewards import accuracy  # noqa: E402
from vagent.env.synthetic import FAMILIES, make_suite  # noqa: E402
from vagent.tools.clip import get_embedder  # noqa: E402
from vagent.tools.index import IndexSettings  # noqa: E402
from vagent.tools.registry import VideoTools  # noqa: E402


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--tasks", type=int, default=20, help="tasks, cycling through the families")
    parser.add_argument("--seed", type=int, default=100)
    parser.add_argument("--model", default="ViT-S-32", help="open_clip config (random weights)")
    parser.add_argument("--no-tools", action="store_true", help="scripted policy answers from the overview only")
    args = parser.parse_args()

    scratch = tempfile.TemporaryDirectory(prefix="vagent-bench-ask-")  # removed when the script ends
    tmp = Path(scratch.name)
    started = time.perf_counter()
    tasks = make_suite(args.tasks, tmp / "videos", seed=args.seed)
    print(f"{len(tasks)} synthetic tasks written in {time.perf_counter() - started:.1f} s")
    settings = IndexSettings(clip_model=args.model, clip_pretrained=None, allow_random_clip=True, cache_dir=tmp / "cache")
    started = time.perf_counter()
    get_embedder(args.model, None, True)
    print(f"CLIP {args.model} (random weights) created in {time.perf_counter() - started:.1f} s (not counted below)\n")

    policy = ScriptedPolicy(use_tools=not args.no_tools)
    rows: dict[str, list[dict[str, float]]] = defaultdict(list)
    for task in tasks:
        started = time.perf_counter()
        tools = VideoTools.open(task.video, settings)
        index_s = time.perf_counter() - started
        started = time.perf_counter()
        episode = Episode.start(tools, task.question, task.options, Budget(), task_id=task.id)
        state = run_episode(episode, policy)
        episode_s = time.perf_counter() - started
        tools.close()
        policy_s = sum(step["policy_seconds"] for step in state.steps)
        tools_s = sum(step["tool_seconds"] for step in state.steps)
        rows[task.metadata["family"]].append({
            "accuracy": accuracy(state, task), "index": index_s, "policy": policy_s, "tools": tools_s,
            "other": episode_s - policy_s - tools_s, "total": index_s + episode_s,
            "turns": state.turns, "calls": state.tool_calls, "answered": float(state.end_reason == "answered"),
        })

    columns = ("accuracy", "answered", "turns", "calls", "index", "policy", "tools", "other", "total")
    header = f"{'family':<14}{'n':>3}" + "".join(f"{c + (' s' if c in columns[4:] else ''):>10}" for c in columns)
    print(f"scripted policy{' (no tools)' if args.no_tools else ''}; seconds are means per question\n")
    print(header)
    print("-" * len(header))
    everything = []
    for family in [f for f in FAMILIES if f in rows] + ["all"]:
        group = everything if family == "all" else rows[family]
        if family != "all":
            everything += group
        means = {c: sum(r[c] for r in group) / len(group) for c in columns}
        print(f"{family:<14}{len(group):>3}" + "".join(f"{means[c]:>10.2f}" if c in columns[4:] or c in ('turns', 'calls')
                                                     else f"{means[c]:>10.3f}" for c in columns))


if __name__ == "__main__":
    main()
