"""Learning benchmark (not a test): does SFT then GRPO teach the tiny model to use the tools?

On synthetic tasks, per seed: build a fresh tiny random Qwen3-VL, SFT it on scripted
(active-annotation) trajectories of the TRAIN tasks, then GRPO it in the tool environment on
the same train tasks; evaluate on HELD-OUT tasks (other seeds of the generator, never used for
any choice here): (a) untrained, (b) after SFT, (c) after SFT+GRPO, (d) the scripted baseline
(no oracle). Prints accuracy / mean reward / tool calls per episode and saves the GRPO reward
curves next to the checkpoints.

    OMP_NUM_THREADS=1 python bench/learn.py --seeds 0 1 --out runs/learn

Simplification (said plainly): one family, ``count_cuts`` with numeric answers, short budgets
and small images, so that a ~1.3M-parameter model trains in minutes on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import json
import os
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")


@dataclass
class Args:
    out: str = "runs/learn"
    results: str = "bench/results"
    """Where the small result files go (learn.md, learn.json, learn_reward_curve.png); '' = none."""
    seeds: list[int] = field(default_factory=lambda: [0, 1])
    family: str = "count_cuts"
    n_train: int = 32
    n_val: int = 8
    """Validation tasks (generator seeds 3000+): every choice of this benchmark was made on them."""
    n_test: int = 16
    """Held-out tasks (generator seeds 5000+): only ever evaluated, never used for a choice."""
    sft_steps: int = 160
    sft_lr: float = 3e-3
    grpo_steps: int = 12
    num_generations: int = 8
    grpo_batch: int = 8
    """Rollouts per GRPO step (grpo_batch / num_generations tasks per step)."""
    reward: str = "default"
    """Reward spec of the evaluation table."""
    grpo_reward: str = "accuracy:1,format:0.2"
    """GRPO training reward. Not the default preset: its tool-cost term makes calling tools without
    answering score below doing nothing, and a weak model that rarely answers collapses to no tools."""
    max_completion_length: int = 1536
    """GRPO: the WHOLE multi-turn completion, tool images included (too small: tool results are
    dropped and the rollout never answers)."""
    grpo_lr: float = 1e-4
    """With 2e-4 and no KL term, seed 1 collapsed (validation accuracy 0.63 -> 0.00: few tool calls,
    no answers); halved, with ``beta`` 0.04, before the final run."""
    grpo_temperature: float = 0.7
    beta: float = 0.04
    max_turns: int = 3
    max_frames: int = 8
    overview_frames: int = 2
    max_new_tokens: int = 160


SPLITS = {"train": 1000, "val": 3000, "test": 5000}
"""Generator seed of each split's first task: the splits never share a video."""


def suite(args: Args, name: str):
    from vagent.env.synthetic import make_suite

    n = {"train": args.n_train, "val": args.n_val, "test": args.n_test}[name]
    return make_suite(n, Path(args.out) / name, seed=SPLITS[name], families=[args.family], variant="number", duration=8.0)


def index_settings():
    from vagent.tools.index import IndexSettings

    return IndexSettings(clip_model="ViT-S-32", clip_pretrained=None, allow_random_clip=True)


def evaluate(policy, tasks, args: Args) -> dict[str, float]:
    """Run ``policy`` on ``tasks`` through the agent graph; mean accuracy, reward, tool calls."""
    from vagent.agent.episode import Budget, Episode
    from vagent.agent.graph import run_episode
    from vagent.env.environment import tools_for
    from vagent.env.rewards import RewardSpec, accuracy

    spec = RewardSpec.parse(args.reward)
    rows = []
    for task in tasks:
        tools = tools_for(task.video, index_settings())
        episode = Episode.start(tools, task.question, task.options, Budget(max_turns=args.max_turns, max_frames=args.max_frames),
                                overview_frames=args.overview_frames, include_schemas=policy.include_schemas, task_id=task.id)
        state = run_episode(episode, policy)
        rows.append((accuracy(state, task), spec.score(state, task)[0], state.tool_calls, state.answer is not None))
    return {"accuracy": statistics.mean(r[0] for r in rows), "reward": statistics.mean(r[1] for r in rows),
            "tool_calls": statistics.mean(r[2] for r in rows), "answered": statistics.mean(r[3] for r in rows)}


def model_policy(path, args: Args):
    from vagent.agent.hf_policy import TransformersPolicy

    return TransformersPolicy(str(path), do_sample=False, max_new_tokens=args.max_new_tokens, max_image_side=256)


CURVE_KEYS = ("reward", "reward_std", "frac_reward_zero_std", "episode/accuracy", "episode/answered", "episode/tool_calls")


def grpo_curve(log_history: list[dict]) -> list[dict[str, float]]:
    """Per-step GRPO training metrics (what the reward-curve plot and notebooks need)."""
    return [{"step": row["step"], **{k: row[k] for k in CURVE_KEYS if k in row}}
            for row in log_history if "reward" in row and "step" in row]


def table(results: dict[str, list[dict[str, float]]], scripted: dict[str, float], n: int, split: str = "held-out") -> list[str]:
    lines = [f"| policy ({split}, n={n}) | accuracy | reward | tool calls | answered |", "|---|---|---|---|---|"]
    for name, runs in results.items():
        def cell(key: str) -> str:
            values = [r[key] for r in runs]
            spread = statistics.stdev(values) if len(values) > 1 else 0.0
            return f"{statistics.mean(values):.3f} ± {spread:.3f}"
        lines.append(f"| {name} | {cell('accuracy')} | {cell('reward')} | {cell('tool_calls')} | {cell('answered')} |")
    lines.append(f"| d_scripted | {scripted['accuracy']:.3f} | {scripted['reward']:.3f} | "
                 f"{scripted['tool_calls']:.2f} | {scripted['answered']:.2f} |")
    return lines


def plot_curves(curves: dict[int, list[dict[str, float]]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(6, 5), sharex=True)
    for seed, rows in curves.items():
        steps = [r["step"] for r in rows]
        top.plot(steps, [r["reward"] for r in rows], label=f"seed {seed}")
        bottom.plot(steps, [r.get("frac_reward_zero_std", float("nan")) for r in rows], label=f"seed {seed}")
    top.set_ylabel("GRPO train reward (mean)")
    bottom.set_ylabel("frac groups zero std")
    bottom.set_xlabel("GRPO step")
    top.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def main(args: Args) -> None:
    import torch

    from vagent.agent.scripted import ScriptedPolicy
    from vagent.agent.tiny_model import build_tiny_model
    from vagent.training import collect, grpo, sft

    torch.set_num_threads(1)
    out, started = Path(args.out), time.time()
    val, test = suite(args, "val"), suite(args, "test")
    suite(args, "train")  # written to disk: collect and GRPO read train/tasks.jsonl
    data = collect.run(collect.CollectConfig(
        tasks=str(out / "train" / "tasks.jsonl"), out=str(out / "data" / "sft.jsonl"), policy="scripted", oracle=True,
        min_reward=0.5, reward=args.reward, max_turns=args.max_turns, max_frames=args.max_frames,
        overview_frames=args.overview_frames, index=index_settings(), progress=False))
    print(f"collected {data.kept}/{data.episodes} trajectories (scripted oracle accuracy {data.mean_accuracy:.2f})")

    results: dict[str, list[dict[str, float]]] = {"a_untrained": [], "b_sft": [], "c_sft_grpo": []}
    validation: dict[str, list[dict[str, float]]] = {"b_sft": [], "c_sft_grpo": []}
    curves: dict[int, list[dict[str, float]]] = {}
    for seed in args.seeds:
        run_dir = out / f"seed{seed}"
        base = build_tiny_model(run_dir / "base", seed=seed)
        results["a_untrained"].append(evaluate(model_policy(base, args), test, args))
        sft_cfg = sft.load_config(None, {
            "model": str(base), "dataset": str(data.path), "output_dir": str(run_dir / "sft"), "max_steps": args.sft_steps,
            "per_device_train_batch_size": 2, "learning_rate": args.sft_lr, "lr_scheduler_type": "constant", "seed": seed,
            "gradient_checkpointing": False, "save_strategy": "no", "logging_steps": 20, "max_image_side": 256})
        sft.run(sft_cfg)
        validation["b_sft"].append(evaluate(model_policy(run_dir / "sft", args), val, args))
        results["b_sft"].append(evaluate(model_policy(run_dir / "sft", args), test, args))
        print(f"seed {seed} SFT done at {time.time() - started:.0f}s: val {validation['b_sft'][-1]}", flush=True)
        grpo_cfg = grpo.load_config(None, {
            "model": str(run_dir / "sft"), "tasks": str(out / "train" / "tasks.jsonl"), "output_dir": str(run_dir / "grpo"),
            "max_steps": args.grpo_steps, "per_device_train_batch_size": args.grpo_batch,
            "num_generations": args.num_generations, "max_completion_length": args.max_completion_length,
            "max_tool_calling_iterations": args.max_turns - 1, "learning_rate": args.grpo_lr,
            "lr_scheduler_type": "constant", "beta": args.beta, "temperature": args.grpo_temperature,
            "reward": args.grpo_reward, "seed": seed,
            "max_frames": args.max_frames, "overview_frames": args.overview_frames, "clip_model": "ViT-S-32",
            "clip_pretrained": None, "gradient_checkpointing": False, "save_strategy": "no", "logging_steps": 1})
        result = grpo.run(grpo_cfg)
        curves[seed] = grpo_curve(result.log_history)
        validation["c_sft_grpo"].append(evaluate(model_policy(run_dir / "grpo", args), val, args))
        results["c_sft_grpo"].append(evaluate(model_policy(run_dir / "grpo", args), test, args))
        print(f"seed {seed} done at {time.time() - started:.0f}s: val {validation['c_sft_grpo'][-1]}",
              {k: v[-1] for k, v in results.items()}, flush=True)
    scripted = evaluate(ScriptedPolicy(), test, args)
    seconds = time.time() - started

    lines = table(results, scripted, len(test))
    lines.append(f"\n(mean ± std over seeds {args.seeds}, greedy decoding; {len(test)} held-out tasks; "
                 f"{seconds:.0f}s total on {os.cpu_count()} cores)")
    lines += ["", f"Validation split (n={len(val)}, the split every choice was made on):", ""]
    lines += table(validation, scripted | {k: float("nan") for k in scripted}, len(val), "validation")[:-1]
    text = "\n".join(lines)
    print(text)
    payload = {"args": asdict(args), "seconds": round(seconds, 1), "n_train_trajectories": data.kept,
               "results": results, "validation": validation, "scripted": scripted,
               "grpo_curves": {str(k): v for k, v in curves.items()}}
    (out / "results.json").write_text(json.dumps(payload, indent=1))
    (out / "results.txt").write_text(text + "\n")
    if args.results:
        res = Path(args.results)
        res.mkdir(parents=True, exist_ok=True)
        (res / "learn.json").write_text(json.dumps(payload, indent=1))
        (res / "learn.md").write_text("# bench/learn.py\n\n`python bench/learn.py " + " ".join(
            f"--{k.replace('_', '-')} {' '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in asdict(args).items())
            + "`\n\n" + text + "\n")
        plot_curves(curves, res / "learn_reward_curve.png")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    defaults = Args()
    for name, value in asdict(defaults).items():
        if isinstance(value, list):
            parser.add_argument(f"--{name.replace('_', '-')}", type=int, nargs="+", default=value)
        else:
            parser.add_argument(f"--{name.replace('_', '-')}", type=type(value), default=value)
    main(Args(**vars(parser.parse_args())))
