"""Test-time scaling on a trained tiny policy (issue 15, item 3): the `vagent eval --sweep` function
(:func:`vagent.env.sweep.sweep`) with a tiny model from bench/learn.py sampled at temperature 1.0.

The scripted sweep in bench/README.md repeats its misreadings in every sample; a sampled model's
errors differ between samples. Budgets are those the model was trained with (3 turns, 2 tool
images, 2 overview frames), which `vagent eval` has no flag for, hence this script.

    python bench/sweep_learned.py runs/probe_mixed/seed0/sft --name sft --tasks runs/probe_mixed/test/tasks.jsonl --limit 6
"""

from __future__ import annotations

import argparse
import os
import shutil
import time
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("model")
    parser.add_argument("--name", required=True, help="results go to bench/results/sweep_learned_<name>.md/.png")
    parser.add_argument("--tasks", required=True)
    parser.add_argument("--limit", type=int, default=6)
    parser.add_argument("--out", default="runs/sweep_learned")
    parser.add_argument("--results", default="bench/results")
    parser.add_argument("--temperature", type=float, default=1.0)
    args = parser.parse_args()

    import torch

    from vagent.agent.episode import Budget
    from vagent.agent.hf_policy import TransformersPolicy
    from vagent.agent.scaling import ScalingConfig
    from vagent.env.environment import EnvConfig
    from vagent.env.evaluate import EvalConfig
    from vagent.env.sweep import sweep
    from vagent.env.tasks import load_tasks
    from vagent.tools.index import IndexSettings

    torch.set_num_threads(1)
    tasks = load_tasks(args.tasks)[: args.limit]
    out = Path(args.out) / args.name
    env = EnvConfig(budget=Budget(max_turns=3, max_frames=2), overview_frames=2, reward="accuracy:1,format:0.2",
                    index=IndexSettings(clip_model="ViT-S-32", clip_pretrained=None, allow_random_clip=True))
    config = EvalConfig(out_dir=out, env=env, scaling=ScalingConfig(parallel=1, verifier="format", agree=2), save_traces=False)
    started = time.time()
    make = lambda: TransformersPolicy(args.model, do_sample=True, temperature=args.temperature, top_p=1.0, seed=0,  # noqa: E731
                                      max_new_tokens=160, max_image_side=256, batch_size=1)
    sweep(tasks, make, config, on_run=lambda row: print(row, flush=True))
    seconds = time.time() - started
    res = Path(args.results)
    text = (out / "sweep.md").read_text()
    (res / f"sweep_learned_{args.name}.md").write_text(
        f"# bench/sweep_learned.py {args.name}\n\n{len(tasks)} count_cuts tasks of the held-out split, tiny `{args.name}` policy "
        f"sampled at temperature {args.temperature} (top_p 1), verifier `format`, adaptive agree 2; {seconds:.0f} s on 2 shared cores.\n\n"
        + text)
    shutil.copy(out / "sweep.png", res / f"sweep_learned_{args.name}.png")
    print(text, f"{seconds:.0f} s")


if __name__ == "__main__":
    main()
