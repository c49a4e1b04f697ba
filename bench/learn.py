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
    seeds: list[int] = field(default_factory=lambda: [0, 1])
    family: str = "count_cuts"
    n_train: int = 12
    n_test: int = 8
    sft_steps: int = 120
    grpo_steps: int = 16
    reward: str = "default"
    """Reward spec of the evaluation table."""
    grpo_reward: str = "accuracy:1,format:0.2"
    """GRPO training reward. Not the default preset: its tool-cost term makes calling tools without
    answering score below doing nothing, and a weak model that rarely answers collapses to no tools."""
    max_completion_length: int = 2048
    """GRPO: the WHOLE multi-turn completion, tool images included (too small: tool results are
    dropped and the rollout never answers)."""
    grpo_lr: float = 2e-4
    grpo_temperature: float = 0.8
    max_turns: int = 3
    max_frames: int = 8
    overview_frames: int = 2
    max_new_tokens: int = 160


def suite(args: Args, name: str, start: int):
    from vagent.env.synthetic import make_suite

    return make_suite(args.n_train if name == "train" else args.n_test, Path(args.out) / name, seed=start,
                      families=[args.family], variant="number", duration=8.0)


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


def main(args: Args) -> None:
    import torch

    from vagent.agent.scripted import ScriptedPolicy
    from vagent.agent.tiny_model import build_tiny_model
    from vagent.training import collect, grpo, sft

    torch.set_num_threads(1)
    out, started = Path(args.out), time.time()
    train, test = suite(args, "train", 1000), suite(args, "test", 5000)  # disjoint generator seeds
    data = collect.run(collect.CollectConfig(
        tasks=str(out / "train" / "tasks.jsonl"), out=str(out / "data" / "sft.jsonl"), policy="scripted", oracle=True,
        min_reward=0.5, reward=args.reward, max_turns=args.max_turns, max_frames=args.max_frames,
        overview_frames=args.overview_frames, index=index_settings(), progress=False))
    print(f"collected {data.kept}/{data.episodes} trajectories (scripted oracle accuracy {data.mean_accuracy:.2f})")

    results: dict[str, list[dict[str, float]]] = {"a_untrained": [], "b_sft": [], "c_sft_grpo": []}
    for seed in args.seeds:
        run_dir = out / f"seed{seed}"
        base = build_tiny_model(run_dir / "base", seed=seed)
        results["a_untrained"].append(evaluate(model_policy(base, args), test, args))
        sft_cfg = sft.load_config(None, {
            "model": str(base), "dataset": str(data.path), "output_dir": str(run_dir / "sft"), "max_steps": args.sft_steps,
            "per_device_train_batch_size": 2, "learning_rate": 3e-3, "lr_scheduler_type": "constant", "seed": seed,
            "gradient_checkpointing": False, "save_strategy": "no", "logging_steps": 20, "max_image_side": 256})
        sft.run(sft_cfg)
        results["b_sft"].append(evaluate(model_policy(run_dir / "sft", args), test, args))
        grpo_cfg = grpo.load_config(None, {
            "model": str(run_dir / "sft"), "tasks": str(out / "train" / "tasks.jsonl"), "output_dir": str(run_dir / "grpo"),
            "max_steps": args.grpo_steps, "per_device_train_batch_size": 4, "num_generations": 4,
            "max_completion_length": args.max_completion_length, "max_tool_calling_iterations": args.max_turns - 1, "learning_rate": args.grpo_lr,
            "lr_scheduler_type": "constant", "beta": 0.0, "temperature": args.grpo_temperature, "reward": args.grpo_reward,
            "seed": seed,
            "max_frames": args.max_frames, "overview_frames": args.overview_frames, "clip_model": "ViT-S-32",
            "clip_pretrained": None, "gradient_checkpointing": False, "save_strategy": "no", "logging_steps": 1})
        grpo.run(grpo_cfg)
        results["c_sft_grpo"].append(evaluate(model_policy(run_dir / "grpo", args), test, args))
        print(f"seed {seed} done at {time.time() - started:.0f}s:", {k: v[-1] for k, v in results.items()})
    scripted = evaluate(ScriptedPolicy(), test, args)

    lines = [f"{'policy (held-out, n=' + str(len(test)) + ')':<26} {'accuracy':>16} {'reward':>16} {'tool calls':>12} {'answered':>9}"]
    for name, runs in results.items():
        def cell(key: str, width: int) -> str:
            values = [r[key] for r in runs]
            spread = statistics.stdev(values) if len(values) > 1 else 0.0
            return f"{statistics.mean(values):.3f} ± {spread:.3f}".rjust(width)
        lines.append(f"{name:<26} {cell('accuracy', 16)} {cell('reward', 16)} {cell('tool_calls', 12)} {cell('answered', 9)}")
    lines.append(f"{'d_scripted':<26} {scripted['accuracy']:>16.3f} {scripted['reward']:>16.3f} "
                 f"{scripted['tool_calls']:>12.2f} {scripted['answered']:>9.2f}")
    lines.append(f"(mean ± std over seeds {args.seeds}; {time.time() - started:.0f}s total)")
    table = "\n".join(lines)
    print(table)
    (out / "results.json").write_text(json.dumps({"args": asdict(args), "results": results, "scripted": scripted}, indent=1))
    (out / "results.txt").write_text(table + "\n")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    defaults = Args()
    for name, value in asdict(defaults).items():
        if isinstance(value, list):
            parser.add_argument(f"--{name.replace('_', '-')}", type=int, nargs="+", default=value)
        else:
            parser.add_argument(f"--{name.replace('_', '-')}", type=type(value), default=value)
    main(Args(**vars(parser.parse_args())))
