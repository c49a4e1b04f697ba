"""Test-time scaling with a local model: sequential trajectories vs. micro-batched turns.

    OMP_NUM_THREADS=1 python bench/batching.py                 # tiny Qwen3-VL on CPU, N = 4, 8
    python bench/batching.py --model Qwen/Qwen3-VL-2B-Instruct  # a real model (GPU)

Self-consistency with N trajectories on one generated ``count_cuts`` video, two ways, in the same
run: ``sequential`` (``batch_size=1``: one trajectory after another, the baseline) and ``batched``
(``batch_size=16``: N trajectories in threads, turns asked for at about the same moment share one
left-padded ``generate`` call). Reports seconds, generated
tokens per second, ``generate`` calls and the speed-up over ``sequential``.

On CPU batches lose (``TransformersPolicy`` therefore defaults to ``batch_size=1`` there): a padded
batch needs an explicit attention mask, which rules out the fast causal attention kernel, and with
images the prompts are thousands of tokens long, so prefill dominates.
"""

from __future__ import annotations

import argparse
import os
import sys
import tempfile
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parents[1]))

from vagent.agent.episode import Budget, Episode  # noqa: E402
from vagent.agent.hf_policy import TransformersPolicy  # noqa: E402
from vagent.agent.scaling import ScalingConfig, run_scaled  # noqa: E402
from vagent.agent.tiny_model import tiny_model_path  # noqa: E402
from vagent.env.synthetic import make_task  # noqa: E402
from vagent.tools.index import IndexSettings  # noqa: E402
from vagent.tools.registry import VideoTools  # noqa: E402

WAYS = {"sequential": 1, "batched": 16}
"""way -> most turns per generate call."""


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--model", default=None, help="Hub id or folder (default: the tiny random Qwen3-VL)")
    parser.add_argument("--samples", type=int, nargs="+", default=[4, 8])
    parser.add_argument("--max-new-tokens", type=int, default=48)
    parser.add_argument("--max-turns", type=int, default=3)
    args = parser.parse_args()

    import torch

    torch.set_num_threads(int(os.environ["OMP_NUM_THREADS"]))
    scratch = tempfile.TemporaryDirectory(prefix="vagent-bench-batching-")  # removed when the script ends
    tmp = Path(scratch.name)
    model = args.model or str(tiny_model_path(tmp / "model"))
    task = make_task("count_cuts", 7, tmp, duration=8.0)
    tools = VideoTools.open(task.video, IndexSettings(clip_model="ViT-S-32", clip_pretrained=None, allow_random_clip=True,
                                                      cache_dir=tmp / "cache"))

    def start(budget: Budget, scale: int) -> Episode:
        return Episode.start(tools, task.question, None, budget, overview_frames=2)

    print(f"model {model}; {args.max_new_tokens} new tokens per turn at most, {args.max_turns} turns\n")
    print("| N | way | seconds | turns | generate calls | tokens/s | speed-up |")
    print("|---|---|---|---|---|---|---|")
    for samples in args.samples:
        baseline = None
        for way, batch_size in WAYS.items():
            policy = TransformersPolicy(model, max_new_tokens=args.max_new_tokens, seed=0, max_image_side=256,
                                        batch_size=batch_size)
            config = ScalingConfig(strategy="self_consistency", samples=samples, parallel=samples)
            started = time.perf_counter()
            result = run_scaled(start, policy, Budget(max_turns=args.max_turns), config)
            seconds = time.perf_counter() - started
            steps = [s for t in result.trajectories for s in t.steps]
            tokens = sum(s["completion_tokens"] for s in steps)
            baseline = baseline or seconds
            print(f"| {samples} | {way} | {seconds:.2f} | {len(steps)} | {policy.batches} | {tokens / seconds:.0f} | "
                  f"{baseline / seconds:.2f}x |", flush=True)
    tools.close()


if __name__ == "__main__":
    main()
