"""Learning benchmark v2, pre-registered (bench/protocols/learn_v2.md): does RL teach the tool the
question asks for, against the baselines a skeptic asks for?

Task: two synthetic families mixed half and half, where the question decides the tool:
``count_cuts`` ("How many scene cuts ...?": the scene list from ``detect_scenes`` answers it) and
``corner_text`` variant ``timed`` ("A short code is shown in one corner at t=6.40s. What is the
code?": ``read_text`` at that time answers it). Both are answerable by a text-only model (a scene
list and OCR lines are text). Headline metric: ``exact_match`` (a count must be exact); mean
relative accuracy is reported beside it for counts.

Arms, per model and seed, all on the same tasks: the best constant per family (chosen on the train
answers); SFT on reward-filtered demonstrations (few, so SFT is not perfect); RFT (sample from the
SFT model as many rollouts as GRPO makes, keep the exactly-right ones, fine-tune the SFT model on
demonstrations + kept); GRPO from the SFT model with the ``exact_match`` reward.

The demonstrator (:class:`Demonstrator`) is this benchmark's own: for a count it calls
``detect_scenes`` and answers scenes - 1, for a timed code it calls ``read_text`` at the time the
question names and answers the text read; it never sees the answer, and the reward filter drops
what it got wrong (an OCR misread). It knows these two question wordings only.

    python bench/learn_v2.py --split val                      # choose settings (any number of times)
    python bench/learn_v2.py --split test                     # ONE look, refused unless the protocol is registered
    python bench/learn_v2.py --split val --quick 1            # a smoke run (minutes; numbers mean nothing)
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shlex
import statistics
import sys
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")
sys.path.insert(0, str(Path(__file__).resolve().parent))

from preregister import (  # noqa: E402
    best_constants,
    claim_heldout_look,
    constant_accuracy,
    paired_bootstrap,
    rejection_sample,
)

SPLITS = {"train": 0, "rl": 1000, "val": 2000, "test": 3000}
"""Each split's first generator seed, after ``Args.first_seed`` (v2: 20000+, never used by an earlier
benchmark, which used 0-5999)."""
FAMILIES = {"count_cuts": ("detect_scenes", {"variant": "number"}), "corner_text": ("read_text", {"variant": "timed", "text_size": 12})}
"""Family -> (the tool its question asks for, generator knobs)."""
ARMS = ("sft", "rft", "grpo")

MODEL_PRESETS = {
    "tiny": {"lora": 0, "sft_lr": 5e-3, "sft_steps": 300, "rft_steps": 60, "grpo_steps": 12, "grpo_lr": 3e-4, "max_new_tokens": 96},
    "smollm2": {"lora": 1, "sft_lr": 1e-3, "sft_steps": 30, "rft_steps": 10, "grpo_steps": 8, "grpo_lr": 3e-4, "max_new_tokens": 48},
}
"""Per-model settings (the pretrained text model trains LoRA adapters)."""


@dataclass
class Args:
    split: str = "val"
    """``val`` (choose settings) or ``test`` (the held-out split: once per protocol)."""
    models: list[str] = field(default_factory=lambda: ["tiny", "smollm2"])
    tiny_seeds: list[int] = field(default_factory=lambda: [0, 1, 2, 3, 4])
    smollm2_seeds: list[int] = field(default_factory=lambda: [0])
    workers: int = 2
    """(model, seed) jobs run at once, one process each."""
    first_seed: int = 20000
    """Generator seed of the train split's first task; rl, val and test start 1000, 2000, 3000 later."""
    out: str = "runs/learn_v2"
    protocol: str = "bench/protocols/learn_v2.md"
    results: str = "bench/results"
    quick: int = 0
    n_train: int = 96
    """Train tasks: one demonstration each, kept when exactly right (reward-filtered SFT data)."""
    n_rl: int = 24
    """RL prompts (GRPO and RFT sample the same ones)."""
    n_val: int = 24
    n_test: int = 100
    num_generations: int = 4
    grpo_batch: int = 8
    """Rollouts per GRPO step; RFT samples (the model's grpo_steps) * grpo_batch rollouts too."""
    temperature: float = 1.0
    beta: float = 0.0
    max_turns: int = 1
    """Tool-using turns; one answer-only turn follows (the demonstrations: one call, then the answer)."""
    max_frames: int = 4
    overview_frames: int = 2
    max_completion_length: int = 512

    def __post_init__(self) -> None:
        if self.quick:
            self.tiny_seeds, self.smollm2_seeds = self.tiny_seeds[:1], self.smollm2_seeds[:1]
            self.n_train, self.n_rl, self.n_val, self.n_test = 6, 4, 4, 4


def setting(args: Args, model: str, key: str):
    """``key`` of the model's preset; a quick run takes few steps."""
    if args.quick and key in ("sft_steps", "rft_steps", "grpo_steps"):
        return 1 if key == "grpo_steps" else 4
    return MODEL_PRESETS[model][key]


# ------------------------------------------------------------------------------ tasks
def make_split(args: Args, name: str) -> list:
    """Split ``name`` under ``<out>/<name>``: families alternate, generator seeds from :data:`SPLITS`."""
    from vagent.env.synthetic import make_task
    from vagent.env.tasks import load_tasks, save_tasks

    path = Path(args.out) / name / "tasks.jsonl"
    n = {"train": args.n_train, "rl": args.n_rl, "val": args.n_val, "test": args.n_test}[name]
    if path.is_file():
        tasks = load_tasks(path)
        if len(tasks) == n:
            return tasks
    families = list(FAMILIES)
    tasks = [make_task(families[i % 2], args.first_seed + SPLITS[name] + i, path.parent, duration=8.0, **FAMILIES[families[i % 2]][1])
             for i in range(n)]
    save_tasks(tasks, path)
    return tasks


def env_config(args: Args):
    from vagent.agent.episode import Budget
    from vagent.env.environment import EnvConfig
    from vagent.tools.index import IndexSettings

    return EnvConfig(budget=Budget(max_turns=args.max_turns, max_frames=args.max_frames), overview_frames=args.overview_frames,
                     reward="exact_match:1", include_schemas=False,
                     index=IndexSettings(clip_model="ViT-S-32", clip_pretrained=None, allow_random_clip=True))


# ------------------------------------------------------------------------------ the demonstrator
class Demonstrator:
    """The demonstrations' author (see the module docstring): reads the question and tool data, never the answer."""

    name, include_schemas = "demonstrator", False

    def generate(self, messages, tools):
        from vagent.agent.episode import Generation

        question = str(messages[1].get("data", {}).get("question", ""))
        results = [m for m in messages if m["role"] == "tool"]
        if not results:
            when = re.search(r"t=(\d+(?:\.\d+)?)s", question)
            if "code" in question and when:
                call = {"name": "read_text", "arguments": {"time": float(when.group(1))}}
                think = "The question names the moment: I read the text in the frame at that time."
            else:
                call = {"name": "detect_scenes", "arguments": {}}
                think = "A count of cuts: the scene detector lists every scene."
            return Generation(f"<think>{think}</think>\n<tool_call>\n{json.dumps(call)}\n</tool_call>")
        data = results[-1].get("data") or {}
        if "scenes" in data:
            n = len(data["scenes"])
            return Generation(f"<think>The detector lists {n} scenes, so there are {n - 1} cuts.</think>\n<answer>{n - 1}</answer>")
        lines = [str(line[0]) for line in data.get("lines") or [] if re.fullmatch(r"[A-Z0-9]{3,8}", str(line[0]))]
        read = lines[0] if lines else "unknown"
        return Generation(f"<think>The frame reads {read}.</think>\n<answer>{read}</answer>")


def demonstrations(args: Args, tasks: list) -> dict:
    """One demonstration per train task, kept when exactly right (the reward filter)."""
    from vagent.agent.graph import run_episode
    from vagent.env.environment import start_episode

    out = Path(args.out) / "data" / "demos.jsonl"
    out.parent.mkdir(parents=True, exist_ok=True)
    episodes = [(run_episode(start_episode(task, env_config(args)), Demonstrator()), task) for task in tasks]
    kept = rejection_sample(episodes)
    write_records(out, kept)
    return {"path": str(out), "demonstrations": len(episodes), "kept": len(kept)}


def write_records(path: Path, episodes: list) -> None:
    from vagent.training.collect import trajectory_record

    with open(path, "w", encoding="utf-8") as sink:
        for i, (state, task) in enumerate(episodes):
            sink.write(json.dumps(trajectory_record(state, f"{task.id}-{i}", path.with_suffix(".images"), path.parent)) + "\n")


# ------------------------------------------------------------------------------ one (model, seed)
def base_model(args: Args, model: str, seed: int, run_dir: Path) -> str:
    if model == "tiny":
        from vagent.agent.tiny_model import build_tiny_model

        return str(build_tiny_model(run_dir / "base", seed=seed))
    from vagent.agent.text_models import gguf_folder, smollm2_gguf

    return str(gguf_folder(smollm2_gguf()))


def sft_run(args: Args, model: str, start: str, data: str, out: Path, steps: int, seed: int) -> None:
    from vagent.training import sft

    sft.run(sft.load_config(None, {
        "model": start, "dataset": data, "output_dir": str(out), "max_steps": steps, "per_device_train_batch_size": 2,
        "learning_rate": setting(args, model, "sft_lr"), "lr_scheduler_type": "cosine", "warmup_steps": 4, "seed": seed,
        "use_peft": bool(setting(args, model, "lora")), "activation_checkpointing": False, "save_strategy": "no",
        "logging_steps": 10, "max_image_side": 256, "disable_tqdm": True, "report_to": "none"}))


def policy(args: Args, model: str, path: Path, seed: int, sample: bool):
    from vagent.agent.hf_policy import TransformersPolicy

    return TransformersPolicy(str(path), do_sample=sample, temperature=args.temperature if sample else 0.7, top_p=1.0,
                              seed=seed, max_new_tokens=setting(args, model, "max_new_tokens"), max_image_side=256)


def episode_row(state, task) -> dict:
    from vagent.env.rewards import accuracy, exact_match

    family = task.metadata["family"]
    called = {call["tool"] for step in state.steps for call in step.get("calls", [])}
    return {"task": task.id, "family": family, "exact": exact_match(state, task), "mra": accuracy(state, task),
            "right_tool": float(FAMILIES[family][0] in called), "answered": float(state.answer is not None)}


def evaluate(args: Args, model: str, path: Path, tasks: list, seed: int) -> list[dict]:
    from vagent.agent.graph import run_episode
    from vagent.env.environment import start_episode

    greedy = policy(args, model, path, seed, sample=False)
    return [episode_row(run_episode(start_episode(task, env_config(args)), greedy), task) for task in tasks]


def rft_samples(args: Args, model: str, sft_dir: Path, rl: list, seed: int, out: Path) -> dict:
    """As many sampled rollouts as GRPO makes, on the same prompts; the exactly-right ones are kept."""
    from vagent.agent.graph import run_episode
    from vagent.env.environment import start_episode

    sampler = policy(args, model, sft_dir, seed, sample=True)
    per_step = args.grpo_batch // args.num_generations
    prompts = [rl[(step * per_step + i) % len(rl)] for step in range(setting(args, model, "grpo_steps")) for i in range(per_step)]
    episodes = [(run_episode(start_episode(task, env_config(args)), sampler), task) for task in prompts for _ in range(args.num_generations)]
    kept = rejection_sample(episodes)
    write_records(out, kept)
    return {"rollouts": len(episodes), "kept": len(kept)}


def rft_train(args: Args, model: str, seed: int, demos: str, run_dir: Path, rl: list) -> dict:
    """RFT: sample from the SFT model, keep the exactly-right rollouts, fine-tune the SFT model on demos + kept."""
    rft_data = run_dir / "rft" / "samples.jsonl"
    rft_data.parent.mkdir(parents=True, exist_ok=True)
    rft = rft_samples(args, model, run_dir / "sft", rl, seed, rft_data)
    union = run_dir / "rft" / "union.jsonl"
    union.write_text(Path(demos).read_text() + rft_data.read_text())
    images = Path(demos).with_suffix(".images")
    if not (union.parent / images.name).exists():
        os.symlink(images.resolve(), union.parent / images.name)
    sft_run(args, model, str(run_dir / "sft"), str(union), run_dir / "rft" / "model", setting(args, model, "rft_steps"), seed)
    return rft


def grpo_train(args: Args, model: str, seed: int, run_dir: Path, rl: list, checkpointing: bool = False) -> list[dict]:
    """GRPO from the SFT model on the RL prompts; returns the train-reward curve. ``checkpointing``
    recomputes activations in the backward pass (less memory, more time; the same updates)."""
    from vagent.env.tasks import save_tasks
    from vagent.training import grpo

    save_tasks(rl, run_dir / "rl_tasks.jsonl")
    result = grpo.run(grpo.load_config(None, {
        "model": str(run_dir / "sft"), "tasks": str(run_dir / "rl_tasks.jsonl"), "output_dir": str(run_dir / "grpo"),
        "max_steps": setting(args, model, "grpo_steps"), "per_device_train_batch_size": 2, "gradient_accumulation_steps": args.grpo_batch // 2,
        "num_generations": args.num_generations,
        "max_completion_length": args.max_completion_length, "max_tool_calling_iterations": args.max_turns,
        "learning_rate": setting(args, model, "grpo_lr"), "lr_scheduler_type": "constant", "beta": args.beta,
        "temperature": args.temperature, "reward": "exact_match:1", "seed": seed, "use_peft": bool(setting(args, model, "lora")),
        "max_frames": args.max_frames, "overview_frames": args.overview_frames,
        "index": {"clip_model": "ViT-S-32", "clip_pretrained": None, "allow_random_clip": True},
        "activation_checkpointing": checkpointing, "save_strategy": "no", "logging_steps": 1, "disable_tqdm": True, "report_to": "none"}))
    return [{"step": r["step"], "reward": r["reward"]} for r in result.log_history if "reward" in r and "step" in r]


def train_and_evaluate(args: Args, model: str, seed: int, demos: str) -> dict:
    """One (model, seed): SFT -> RFT and GRPO from the SFT model; each evaluated on the chosen split."""
    import torch

    from vagent.env.tasks import load_tasks

    torch.set_num_threads(1)
    run_dir = Path(args.out) / args.split / f"{model}-seed{seed}"
    tasks = load_tasks(Path(args.out) / args.split / "tasks.jsonl")
    rl = load_tasks(Path(args.out) / "rl" / "tasks.jsonl")
    timings, clock = {}, time.time()

    def lap(name: str) -> None:
        nonlocal clock
        timings[name], clock = round(time.time() - clock, 1), time.time()
        arm = name.removeprefix("eval_")
        score = f", exact {statistics.mean(r['exact'] for r in rows[arm]):.3f}" if name.startswith("eval_") else ""
        print(f"{model} seed {seed}: {name} {timings[name]:.0f} s{score}", flush=True)

    rows: dict[str, list[dict]] = {}
    start = base_model(args, model, seed, run_dir)
    sft_run(args, model, start, demos, run_dir / "sft", setting(args, model, "sft_steps"), seed)
    lap("sft")
    rows["sft"] = evaluate(args, model, run_dir / "sft", tasks, seed)
    lap("eval_sft")
    rft = rft_train(args, model, seed, demos, run_dir, rl)
    lap("rft")
    rows["rft"] = evaluate(args, model, run_dir / "rft" / "model", tasks, seed)
    lap("eval_rft")
    curve = grpo_train(args, model, seed, run_dir, rl)
    lap("grpo")
    rows["grpo"] = evaluate(args, model, run_dir / "grpo", tasks, seed)
    lap("eval_grpo")
    return {"model": model, "seed": seed, "rows": rows, "rft": rft, "curve": curve, "timings": timings}


# ------------------------------------------------------------------------------ report
def arm_summary(rows_by_seed: list[list[dict]]) -> dict:
    """Means over seeds and tasks, overall and per family."""
    def means(rows: list[dict]) -> dict:
        out = {k: round(statistics.mean(r[k] for r in rows), 4) for k in ("exact", "right_tool", "answered")}
        counts = [r["mra"] for r in rows if r["family"] == "count_cuts"]
        if counts:
            out["count_mra"] = round(statistics.mean(counts), 4)
        return out

    flat = [r for rows in rows_by_seed for r in rows]
    per_seed = [statistics.mean(r["exact"] for r in rows) for rows in rows_by_seed]
    summary = {"accuracy": round(statistics.mean(per_seed), 4), "seed_std": round(statistics.stdev(per_seed), 4) if len(per_seed) > 1 else 0.0,
               **{k: v for k, v in means(flat).items() if k != "exact"}}
    summary["families"] = {f: means([r for r in flat if r["family"] == f]) for f in FAMILIES}
    return summary


def run_report(model: str, jobs: list[dict], tasks: list, constants: dict) -> dict:
    """One model's entry of learn_v2.json: arms, paired differences, verdict."""
    import numpy as np

    jobs = sorted(jobs, key=lambda j: j["seed"])
    const = constant_accuracy(constants, tasks)
    arms = {"constant": {"accuracy": round(statistics.mean(const), 4), "answers": constants,
                         "families": {f: {"exact": round(statistics.mean(c for c, t in zip(const, tasks) if t.metadata["family"] == f), 4)}
                                      for f in FAMILIES}}}
    for arm in ARMS:
        arms[arm] = arm_summary([job["rows"][arm] for job in jobs])
    exact = {arm: np.array([[r["exact"] for r in job["rows"][arm]] for job in jobs]) for arm in ARMS}
    versus_sft, versus_rft = paired_bootstrap(exact["grpo"], exact["sft"]), paired_bootstrap(exact["grpo"], exact["rft"])
    met = versus_sft["ci95"][0] > 0 and arms["grpo"]["accuracy"] > arms["constant"]["accuracy"]
    return {"model": model, "pretrained": model != "tiny", "seeds": [j["seed"] for j in jobs], "tasks": len(tasks), "arms": arms,
            "grpo_minus_sft": versus_sft, "grpo_minus_rft": versus_rft,
            "grpo_minus_constant": round(arms["grpo"]["accuracy"] - arms["constant"]["accuracy"], 4),
            "rft_samples": [j["rft"] for j in jobs], "timings": {str(j["seed"]): j["timings"] for j in jobs},
            "verdict": "met" if met else "not met"}


def markdown(payload: dict) -> str:
    lines = [f"# Learning benchmark {Path(payload['protocol']).stem.removeprefix('learn_')} — {payload['split']} split", "",
             f"Protocol `{payload['protocol']}` (registered in `{str(payload.get('protocol_commit'))[:10]}`); "
             f"held-out looks: {payload['heldout_looks']}. Command: `{payload['command']}`.", "",
             "Accuracy is `exact_match` (a count must be exact), mean over seeds and tasks; ± is the std over seeds. "
             "right tool = the family's tool was called (count → detect_scenes, timed code → read_text).", ""]
    if payload.get("recomputed"):
        lines += [f"**Recomputed rows.** {payload['recomputed']}", ""]
    for run in payload["runs"]:
        arms = run["arms"]
        lines += [f"## {run['model']} ({'pretrained, LoRA' if run['pretrained'] else 'random init'}), seeds {run['seeds']}, {run['tasks']} tasks", "",
                  "| arm | accuracy | count: exact | count: MRA | code: exact | right tool | answered |", "|---|---|---|---|---|---|---|"]
        c = arms["constant"]
        lines.append(f"| constant {c['answers']} | {c['accuracy']:.3f} | {c['families']['count_cuts']['exact']:.3f} | — | "
                     f"{c['families']['corner_text']['exact']:.3f} | 0 | 1 |")
        for arm in ARMS:
            a, f = arms[arm], arms[arm]["families"]
            lines.append(f"| {arm} | {a['accuracy']:.3f} ± {a['seed_std']:.3f} | {f['count_cuts']['exact']:.3f} | {f['count_cuts'].get('count_mra', float('nan')):.3f} | "
                         f"{f['corner_text']['exact']:.3f} | {a['right_tool']:.3f} | {a['answered']:.3f} |")
        for key in ("grpo_minus_sft", "grpo_minus_rft"):
            d = run[key]
            lines.append(f"\n{key.replace('_', ' ')}: {d['mean']:+.3f}, 95% CI [{d['ci95'][0]:+.3f}, {d['ci95'][1]:+.3f}] "
                         f"(paired bootstrap over {d['tasks']} tasks and {d['seeds']} seed(s))")
        lines += ["", f"RFT kept {sum(s['kept'] for s in run['rft_samples'])} of {sum(s['rollouts'] for s in run['rft_samples'])} sampled rollouts. "
                  f"Seconds per phase: {run['timings']}", "", f"**Verdict: {run['verdict']}** (criterion: GRPO − SFT CI above 0 and GRPO above the best constant).", ""]
    return "\n".join(lines)


def plot_curves(payload: dict, path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, axes = plt.subplots(1, len(payload["runs"]), figsize=(5 * len(payload["runs"]), 3.5), squeeze=False)
    for ax, run in zip(axes[0], payload["runs"]):
        for seed, curve in run["curves"].items():
            ax.plot([p["step"] for p in curve], [p["reward"] for p in curve], label=f"seed {seed}")
        ax.set_title(f"{run['model']}: GRPO train reward (exact_match)")
        ax.set_xlabel("GRPO step")
        ax.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def main(args: Args, command: str) -> None:
    from vagent.env.environment import tools_for

    look = None
    if args.split == "test" and not args.quick:
        look = claim_heldout_look(Path(args.results) / "learn_v2.looks.json", args.protocol, command)  # before anything runs
    started = time.time()
    train, rl, tasks = make_split(args, "train"), make_split(args, "rl"), make_split(args, args.split)
    for task in [*rl, *tasks]:
        tools_for(task.video, env_config(args).index)  # indexes built once here, not in every worker
    demos = demonstrations(args, train)
    print(f"demonstrations: {demos['kept']} of {demos['demonstrations']} exactly right (kept)", flush=True)
    jobs = [(model, seed) for model in args.models for seed in getattr(args, f"{model}_seeds")]
    jobs.sort(key=lambda job: job[0] == "tiny")  # the long pretrained job first, the tiny seeds beside it
    if args.workers > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(args.workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            done = list(pool.map(train_and_evaluate, *zip(*[(args, m, s, demos["path"]) for m, s in jobs])))
    else:
        done = [train_and_evaluate(args, m, s, demos["path"]) for m, s in jobs]
    constants = best_constants(train)
    runs = []
    for model in args.models:
        mine = [job for job in done if job["model"] == model]
        report = run_report(model, mine, tasks, constants)
        report["curves"] = {str(j["seed"]): j["curve"] for j in mine}
        runs.append(report)
    payload = {"protocol": args.protocol, "protocol_commit": look["protocol_commit"] if look else None,
               "heldout_looks": 1 if look else 0, "split": args.split, "command": command, "args": asdict(args),
               "demonstrations": demos, "seconds": round(time.time() - started, 1), "runs": runs}
    text = markdown(payload)
    print(text)
    out = Path(args.out) / args.split
    (out / "learn_v2.json").write_text(json.dumps(payload, indent=1))
    (out / "learn_v2.md").write_text(text + "\n")
    if look:  # the held-out results are published as they came out
        results = Path(args.results)
        (results / "learn_v2.json").write_text(json.dumps(payload, indent=1))
        (results / "learn_v2.md").write_text(text + "\n")
        plot_curves(payload, results / "learn_v2_curve.png")
    else:
        plot_curves(payload, out / "learn_v2_curve.png")


def parse_command_line(args_type: type, description: str, script: str) -> tuple[Args, str]:
    """``args_type`` (an :class:`Args`) from the command line, one flag per field; and the command as run."""
    parser = argparse.ArgumentParser(description=description)
    for name, value in asdict(args_type()).items():
        flag = f"--{name.replace('_', '-')}"
        if isinstance(value, list):
            parser.add_argument(flag, type=str if name == "models" else int, nargs="+", default=value)
        else:
            parser.add_argument(flag, type=type(value), default=value)
    return args_type(**vars(parser.parse_args())), f"python {script} " + shlex.join(sys.argv[1:])


if __name__ == "__main__":
    main(*parse_command_line(Args, __doc__.splitlines()[0], "bench/learn_v2.py"))
