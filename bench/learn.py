"""Learning benchmark (not a test): does SFT then GRPO teach the tiny model to use the tools?

On synthetic tasks, per seed: build a fresh tiny random Qwen3-VL, SFT it on scripted
(active-annotation) trajectories of the TRAIN tasks, then GRPO it in the tool environment on
other tasks (the RL split: prompts only, no demonstrations); evaluate on HELD-OUT tasks (other
seeds of the generator, never used for any choice here): (a) untrained, (b) after SFT, (c) after
SFT+GRPO, (d) the scripted baseline (no oracle). Prints accuracy / mean reward / tool calls per
episode and saves the GRPO reward curves next to the checkpoints.

    OMP_NUM_THREADS=1 python bench/learn.py                     # 3 seeds at once, about 26 min on 2 cores
    python bench/learn.py --seeds 0 1 --workers 2 --out runs/learn2

Simplification (said plainly): one family, ``count_cuts`` with numeric answers, short budgets
and small images, so that a ~1.1M-parameter model trains in minutes on 2 CPU cores.
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
    seeds: list[int] = field(default_factory=lambda: [0, 1, 2])
    workers: int = 3
    """Seeds trained at once, one process each (3 processes share the 2 cores: 1581 s in all)."""
    family: str = "count_cuts"
    n_train: int = 16
    """Train tasks (generator seeds 1000+) whose scripted oracle trajectories are the SFT data: a
    few demonstrations, as in a cold start, so SFT teaches the protocol and GRPO the rest."""
    n_rl: int = 64
    """GRPO prompts (generator seeds 2000+), other tasks than the SFT ones: on its own demonstrations
    an SFT model that converged answers alike in every rollout, so GRPO would get no signal there."""
    n_val: int = 32
    """Validation tasks (generator seeds 3000+): every choice of this benchmark was made on them."""
    n_test: int = 48
    """Held-out tasks (generator seeds 5000+): only ever evaluated, never used for a choice."""
    sft_steps: int = 240
    sft_lr: float = 5e-3
    """Peak of a cosine schedule after ``sft_warmup_steps``. Round 2's constant 3e-3 for 160 steps
    left SFT anywhere between 0.26 and 0.98 validation reward depending on the seed."""
    sft_warmup_steps: int = 8
    grpo_steps: int = 36
    num_generations: int = 4
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
    grpo_temperature: float = 1.0
    """Round 2 used 0.7; an SFT model trained to convergence is so sharp at 0.7 that most groups of
    rollouts scored alike (no GRPO signal), so round 3 samples at 1.0."""
    beta: float = 0.04
    max_turns: int = 3
    max_frames: int = 8
    overview_frames: int = 2
    max_new_tokens: int = 160


SPLITS = {"train": 1000, "rl": 2000, "val": 3000, "test": 5000}
"""Generator seed of each split's first task: the splits never share a video."""


def suite(args: Args, name: str):
    """Generate split ``name`` under ``args.out`` (videos + tasks.jsonl)."""
    from vagent.env.synthetic import make_suite

    n = {"train": args.n_train, "rl": args.n_rl, "val": args.n_val, "test": args.n_test}[name]
    return make_suite(n, Path(args.out) / name, seed=SPLITS[name], families=[args.family], variant="number", duration=8.0)


def load_split(args: Args, name: str):
    """The tasks of a split that :func:`suite` already generated."""
    from vagent.env.tasks import load_tasks

    return load_tasks(Path(args.out) / name / "tasks.jsonl")


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


def train_and_evaluate(args: Args, seed: int, data_path: str) -> dict:
    """One seed: fresh tiny model -> SFT -> GRPO, evaluated after each stage; timings per phase."""
    import torch

    from vagent.agent.tiny_model import build_tiny_model
    from vagent.training import grpo, sft

    torch.set_num_threads(1)
    out, run_dir = Path(args.out), Path(args.out) / f"seed{seed}"
    val, test = load_split(args, "val"), load_split(args, "test")
    timings: dict[str, float] = {}
    clock = time.time()

    def lap(name: str) -> None:
        nonlocal clock
        timings[name] = round(time.time() - clock, 1)
        clock = time.time()

    base = build_tiny_model(run_dir / "base", seed=seed)
    test_rows = {}
    if seed == args.seeds[0]:  # a random model never writes a valid turn; one seed shows it
        test_rows["a_untrained"] = evaluate(model_policy(base, args), test, args)
        lap("eval_untrained")
    sft_cfg = sft.load_config(None, {
        "model": str(base), "dataset": data_path, "output_dir": str(run_dir / "sft"), "max_steps": args.sft_steps,
        "per_device_train_batch_size": 2, "learning_rate": args.sft_lr, "lr_scheduler_type": "cosine",
        "warmup_steps": args.sft_warmup_steps, "seed": seed,
        "activation_checkpointing": False, "save_strategy": "no", "logging_steps": 20, "max_image_side": 256,
        "disable_tqdm": True})
    sft.run(sft_cfg)
    lap("sft")
    val_rows = {"b_sft": evaluate(model_policy(run_dir / "sft", args), val, args)}
    test_rows["b_sft"] = evaluate(model_policy(run_dir / "sft", args), test, args)
    lap("eval_sft")
    print(f"seed {seed}: SFT done, validation {val_rows['b_sft']}", flush=True)
    grpo_cfg = grpo.load_config(None, {
        "model": str(run_dir / "sft"), "tasks": str(out / "rl" / "tasks.jsonl"), "output_dir": str(run_dir / "grpo"),
        "max_steps": args.grpo_steps, "per_device_train_batch_size": args.grpo_batch,
        "num_generations": args.num_generations, "max_completion_length": args.max_completion_length,
        "max_tool_calling_iterations": args.max_turns, "learning_rate": args.grpo_lr,
        "lr_scheduler_type": "constant", "beta": args.beta, "temperature": args.grpo_temperature,
        "reward": args.grpo_reward, "seed": seed,
        "max_frames": args.max_frames, "overview_frames": args.overview_frames,
        "index": {"clip_model": "ViT-S-32", "clip_pretrained": None, "allow_random_clip": True},
        "activation_checkpointing": False, "save_strategy": "no", "logging_steps": 1,
        "disable_tqdm": True})
    result = grpo.run(grpo_cfg)
    lap("grpo")
    val_rows["c_sft_grpo"] = evaluate(model_policy(run_dir / "grpo", args), val, args)
    test_rows["c_sft_grpo"] = evaluate(model_policy(run_dir / "grpo", args), test, args)
    lap("eval_grpo")
    print(f"seed {seed}: GRPO done, validation {val_rows['c_sft_grpo']}, timings {timings}", flush=True)
    return {"seed": seed, "test": test_rows, "val": val_rows, "curve": grpo_curve(result.log_history), "timings": timings}


def verdict(results: dict[str, list[dict[str, float]]], seeds: list[int]) -> list[str]:
    """Per-seed GRPO gain over SFT on reward, and whether the mean gain beats the seed-to-seed noise."""
    sft_r = [r["reward"] for r in results["b_sft"]]
    grpo_r = [r["reward"] for r in results["c_sft_grpo"]]
    gains = [c - b for b, c in zip(sft_r, grpo_r)]
    noise = max(statistics.stdev(sft_r), statistics.stdev(grpo_r)) if len(gains) > 1 else float("nan")
    mean_gain = statistics.mean(gains)
    met = len(gains) > 1 and mean_gain > noise
    return ["GRPO gain over SFT (reward), per seed: " + ", ".join(f"seed {s} {g:+.3f}" for s, g in zip(seeds, gains)),
            f"mean gain {mean_gain:+.3f}; run-to-run noise (largest seed std of (b) or (c)) {noise:.3f}; "
            f"target (c) > (b) beyond noise: {'MET' if met else 'NOT met'}"]


def main(args: Args) -> None:
    from vagent.agent.scripted import ScriptedPolicy
    from vagent.env.environment import tools_for
    from vagent.training import collect

    out, started = Path(args.out), time.time()
    val, test = suite(args, "val"), suite(args, "test")
    suite(args, "train")  # written to disk: collect reads train/tasks.jsonl, GRPO rl/tasks.jsonl
    for task in suite(args, "rl"):
        tools_for(task.video, index_settings())  # index built once here, not in every worker
    data = collect.run(collect.CollectConfig(
        tasks=str(out / "train" / "tasks.jsonl"), out=str(out / "data" / "sft.jsonl"), policy="scripted", oracle=True,
        min_reward=0.5, reward=args.reward, max_turns=args.max_turns, max_frames=args.max_frames,
        overview_frames=args.overview_frames, index=index_settings(), progress=False))
    print(f"collected {data.kept}/{data.episodes} trajectories (scripted oracle accuracy {data.mean_accuracy:.2f})")
    scripted = evaluate(ScriptedPolicy(), test, args)  # also builds every test video's index before the workers start
    evaluate(ScriptedPolicy(), val, args)

    if args.workers > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(args.workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            runs = list(pool.map(train_and_evaluate, [args] * len(args.seeds), args.seeds, [str(data.path)] * len(args.seeds)))
    else:
        runs = [train_and_evaluate(args, seed, str(data.path)) for seed in args.seeds]
    seconds = time.time() - started

    results = {name: [run["test"][name] for run in runs if name in run["test"]]
               for name in ("a_untrained", "b_sft", "c_sft_grpo")}
    validation = {name: [run["val"][name] for run in runs] for name in ("b_sft", "c_sft_grpo")}
    curves = {run["seed"]: run["curve"] for run in runs}
    lines = table(results, scripted, len(test))
    lines.append(f"\n(mean ± std over seeds {args.seeds}, (a) seed {args.seeds[0]} only; greedy decoding; "
                 f"{len(test)} held-out tasks; {seconds:.0f}s total on {os.cpu_count()} cores, {args.workers} seed(s) at a time)")
    lines += ["", *verdict(results, args.seeds)]
    lines += ["", f"Validation split (n={len(val)}, the split every choice was made on):", ""]
    lines += table(validation, scripted | {k: float("nan") for k in scripted}, len(val), "validation")[:-1]
    lines += ["", *verdict(validation, args.seeds)]
    lines += ["", "Seconds per phase and seed (one core each): " + "; ".join(
        f"seed {run['seed']}: " + ", ".join(f"{k} {v:.0f}" for k, v in run["timings"].items()) for run in runs)]
    text = "\n".join(lines)
    print(text)
    payload = {"args": asdict(args), "seconds": round(seconds, 1), "n_train_trajectories": data.kept,
               "results": results, "validation": validation, "scripted": scripted,
               "grpo_curves": {str(k): v for k, v in curves.items()},
               "timings": {str(run["seed"]): run["timings"] for run in runs}}
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
