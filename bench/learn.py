"""Learning benchmark v1, kept as history (superseded by bench/learn_v2.py; bench/results/HISTORY.md says why).

Does GRPO move the tiny model toward what the reward pays for?

Two protocols on synthetic ``count_cuts`` tasks (numeric answers), per seed a fresh tiny random
Qwen3-VL, SFT on teacher trajectories of the TRAIN tasks, GRPO in the tool environment on other
tasks (the RL split: prompts only), evaluation on HELD-OUT tasks (other generator seeds, run once
at the end; every choice was made on the VALIDATION split):

``mixed`` (default; headroom by design). The teacher takes, per task, one of two paths drawn at
random (seeded, ``tool_share``): the reliable tool path (``detect_scenes``, read the scene list,
answer: the scripted oracle) or the cheap path that answers from the two overview frames (the
scripted policy without tools, nearly always wrong here). The choice is the first words of the
think text ("Cuts can be shorter ..." vs "The overview background colours ..."). SFT imitates
both; before any RL the per-path completion rate is measured when sampling at the GRPO
temperature. GRPO (accuracy + format reward) should then raise the tool-path rate and accuracy.

``strong``: the published rounds 1-4 (oracle-only SFT data, a strong start); the claim there is
only "GRPO does not make it worse".

Measured for SFT and SFT+GRPO: accuracy and reward, greedy and sampled at the GRPO temperature
(``n_samples`` per task), tool-path rate, tool calls per episode, answered rate, per-path
completion rate and accuracy.

    OMP_NUM_THREADS=1 python bench/learn.py                       # mixed, 3 seeds at once: 43 min on 2 shared cores
    python bench/learn.py --quick 1                               # a smoke run, a few minutes
    python bench/learn.py --protocol strong --n-train 16 --max-frames 8 --sft-steps 240 --grpo-steps 36 \
        --max-completion-length 1536 --reward default --tool-share 1.0

Simplification (said plainly): one family, short budgets and small images, so that a
~1.1M-parameter model trains in minutes on 2 CPU cores.
"""

from __future__ import annotations

import argparse
import json
import os
import random
import statistics
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path

os.environ.setdefault("OMP_NUM_THREADS", "1")
os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRL_EXPERIMENTAL_SILENCE", "1")


@dataclass
class Args:
    protocol: str = "mixed"
    """``mixed`` (two-path teacher, headroom by design) or ``strong`` (oracle-only teacher)."""
    out: str = "runs/learn"
    results: str = "bench/results"
    """Where the small result files go (learn[_strong].md/.json, plots); '' = none."""
    seeds: list[int] = field(default_factory=lambda: [0, 1, 2])
    workers: int = 3
    """Seeds trained at once, one process each."""
    quick: int = 0
    validate: int = 1
    """0 = skip the validation evaluations (a final run whose choices were made by earlier probes)."""
    sft_only: int = 0
    """1 = train (or reuse) each seed's SFT model and stop: a later full run with the same SFT
    settings reuses it (``<out>/seed<N>/sft/done.json`` records those settings)."""
    """1 = smoke run: few tasks and steps, one seed (minutes; numbers mean nothing)."""
    family: str = "count_cuts"
    tool_share: float = 0.5
    """Mixed teacher: probability of the tool path per task (1.0 = oracle only, the strong protocol)."""
    n_train: int = 96
    """Train tasks (generator seeds 1000+): one teacher trajectory each is the SFT data."""
    n_rl: int = 64
    """GRPO prompts (generator seeds 2000+)."""
    n_val: int = 16
    """Validation tasks (generator seeds 3000+): every choice was made on them."""
    n_test: int = 24
    """Held-out tasks (generator seeds 5000+), evaluated at the end of each run. The same 24 tasks were
    evaluated in about seven runs while settings changed: no longer a held-out split (bench/results/HISTORY.md)."""
    n_samples: int = 4
    """Sampled evaluation: episodes per task at ``grpo_temperature`` (so one mode does not decide)."""
    sft_steps: int = 200
    sft_lr: float = 5e-3
    """Peak of a cosine schedule after ``sft_warmup_steps``."""
    sft_warmup_steps: int = 8
    grpo_steps: int = 40
    num_generations: int = 4
    grpo_batch: int = 8
    """Rollouts per GRPO step (grpo_batch / num_generations tasks per step)."""
    reward: str = "accuracy:1,format:0.2"
    """Reward spec of the evaluation tables (the GRPO reward, so the tables show what RL is paid for)."""
    grpo_reward: str = "accuracy:1,format:0.2"
    """GRPO training reward."""
    max_completion_length: int = 768
    """GRPO: the WHOLE multi-turn completion, tool images included."""
    grpo_lr: float = 3e-4
    """Chosen on validation (seed 0, 40 steps): sampled accuracy 0.270 after SFT -> 0.241 with 1e-4,
    0.352 with 3e-4 (tool-path rate 0.42 -> 0.47 / 0.58)."""
    grpo_temperature: float = 1.0
    beta: float = 0.04
    max_turns: int = 3
    max_frames: int = 2
    """Tool images per episode. 2: ``detect_scenes`` spends it, so the tool path is one call then the answer."""
    overview_frames: int = 2
    max_new_tokens: int = 160

    def __post_init__(self) -> None:
        if self.quick:
            self.seeds, self.workers = self.seeds[:1], 1
            self.n_train, self.n_rl, self.n_val, self.n_test, self.n_samples = 12, 8, 4, 4, 2
            self.sft_steps, self.grpo_steps = 20, 2


SPLITS = {"train": 1000, "rl": 2000, "val": 3000, "test": 5000}
"""Generator seed of each split's first task: the splits never share a video."""
PATHS = ("tool", "overview", "other")


def suite(args: Args, name: str):
    """Generate split ``name`` under ``args.out`` (videos + tasks.jsonl)."""
    from vagent.env.synthetic import make_suite

    n = {"train": args.n_train, "rl": args.n_rl, "val": args.n_val, "test": args.n_test}[name]
    return make_suite(n, Path(args.out) / name, seed=SPLITS[name], families=[args.family], variant="number", duration=8.0)


def load_split(args: Args, name: str):
    from vagent.env.tasks import load_tasks

    return load_tasks(Path(args.out) / name / "tasks.jsonl")


def index_settings():
    from vagent.tools.index import IndexSettings

    return IndexSettings(clip_model="ViT-S-32", clip_pretrained=None, allow_random_clip=True)


def env_config(args: Args, include_schemas: bool = True):
    from vagent.agent.episode import Budget
    from vagent.env.environment import EnvConfig

    return EnvConfig(budget=Budget(max_turns=args.max_turns, max_frames=args.max_frames), overview_frames=args.overview_frames,
                     reward=args.reward, index=index_settings(), include_schemas=include_schemas)


def path_of(state) -> str:
    """Which path an episode took, by its first turn: a tool call, a direct answer, or neither."""
    kind = state.steps[0]["action"]["kind"] if state.steps else "none"
    return "tool" if kind == "tool_calls" else "overview" if kind == "answer" else "other"


def episode_row(state, task, spec) -> dict:
    invalid = any(step["action"]["kind"] == "invalid" for step in state.steps)
    from vagent.env.rewards import accuracy

    return {"accuracy": accuracy(state, task), "reward": spec.score(state, task)[0], "tool_calls": state.tool_calls,
            "answered": float(state.answer is not None), "path": path_of(state),
            "completed": float(state.end_reason == "answered" and not invalid)}


def summarize(rows: list[dict]) -> dict:
    """Means over episodes, plus per path: share, completion rate (answered, no invalid turn), accuracy."""
    out = {k: statistics.mean(r[k] for r in rows) for k in ("accuracy", "reward", "tool_calls", "answered", "completed")}
    out["tool_path"] = statistics.mean(r["path"] == "tool" for r in rows)
    for path in PATHS:
        mine = [r for r in rows if r["path"] == path]
        out[f"{path}/share"] = len(mine) / len(rows)
        out[f"{path}/completed"] = statistics.mean(r["completed"] for r in mine) if mine else float("nan")
        out[f"{path}/accuracy"] = statistics.mean(r["accuracy"] for r in mine) if mine else float("nan")
    out["episodes"] = len(rows)
    return out


def run_policy(policy, tasks, args: Args, repeats: int = 1) -> dict:
    """``policy`` on every task ``repeats`` times through the agent graph; :func:`summarize` of the episodes."""
    from vagent.agent.graph import run_episode
    from vagent.env.environment import start_episode
    from vagent.env.rewards import RewardSpec

    spec, config = RewardSpec.parse(args.reward), env_config(args, policy.include_schemas)
    rows = [episode_row(run_episode(start_episode(task, config), policy), task, spec) for task in tasks for _ in range(repeats)]
    return summarize(rows)


def evaluate_model(path, tasks, args: Args, seed: int) -> dict:
    """Greedy (one episode per task) and sampled at the GRPO temperature (``n_samples`` per task)."""
    from vagent.agent.hf_policy import TransformersPolicy

    greedy = TransformersPolicy(str(path), do_sample=False, max_new_tokens=args.max_new_tokens, max_image_side=256)
    sampled = TransformersPolicy(str(path), do_sample=True, temperature=args.grpo_temperature, top_p=1.0, seed=seed,
                                 max_new_tokens=args.max_new_tokens, max_image_side=256)
    return {"greedy": run_policy(greedy, tasks, args), "sampled": run_policy(sampled, tasks, args, args.n_samples)}


# ------------------------------------------------------------------------------ the teacher
def teacher_path(args: Args, index: int) -> str:
    """The mixed teacher's path for train task ``index`` (seeded: the same data for every seed)."""
    return "tool" if random.Random(f"teacher:{index}").random() < args.tool_share else "overview"


def collect_teacher(args: Args, tasks) -> dict:
    """SFT data: one trajectory per train task on the teacher's path; wrong answers are kept
    (the cheap path is wrong by nature), only episodes without an answer are dropped."""
    from vagent.agent.graph import run_episode
    from vagent.agent.scripted import ScriptedPolicy
    from vagent.env.environment import start_episode
    from vagent.env.rewards import RewardSpec
    from vagent.training.collect import trajectory_record

    out = Path(args.out) / "data" / "sft.jsonl"
    out.parent.mkdir(parents=True, exist_ok=True)
    images = out.with_name("sft.images")
    spec, config, rows = RewardSpec.parse(args.reward), env_config(args), []
    with open(out, "w", encoding="utf-8") as sink:
        for index, task in enumerate(tasks):
            path = teacher_path(args, index)
            policy = ScriptedPolicy(oracle=task) if path == "tool" else ScriptedPolicy(use_tools=False)
            episode = start_episode(task, config)
            state = run_episode(episode, policy)
            rows.append(episode_row(state, task, spec))
            if state.end_reason != "answered":
                continue
            line = trajectory_record(state, f"{task.id}-{path}", images, out.parent)
            line.update(path=path, tools=episode.tools.schemas())
            sink.write(json.dumps(line, ensure_ascii=False) + "\n")
    return {"path": str(out), "kept": sum(r["answered"] for r in rows), "teacher": summarize(rows)}


# ------------------------------------------------------------------------------ one seed
CURVE_KEYS = ("reward", "reward_std", "frac_reward_zero_std", "episode/accuracy", "episode/answered", "episode/tool_calls")


def grpo_curve(log_history: list[dict]) -> list[dict[str, float]]:
    """Per-step GRPO training metrics (what the reward-curve plot and the notebook need)."""
    return [{"step": row["step"], **{k: row[k] for k in CURVE_KEYS if k in row}}
            for row in log_history if "reward" in row and "step" in row]


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

    settings = {"model": "tiny", "seed": seed, "dataset": data_path, "max_steps": args.sft_steps, "per_device_train_batch_size": 2,
                "learning_rate": args.sft_lr, "lr_scheduler_type": "cosine", "warmup_steps": args.sft_warmup_steps,
                "teacher": [args.tool_share, args.n_train, args.max_frames, args.overview_frames, args.max_turns]}
    done = run_dir / "sft" / "done.json"
    if done.is_file() and json.loads(done.read_text()) == settings:
        print(f"seed {seed}: reusing the SFT model trained with the same settings", flush=True)
    else:
        base = build_tiny_model(run_dir / "base", seed=seed)
        sft.run(sft.load_config(None, {
            "model": str(base), "dataset": data_path, "output_dir": str(run_dir / "sft"), "max_steps": args.sft_steps,
            "per_device_train_batch_size": 2, "learning_rate": args.sft_lr, "lr_scheduler_type": "cosine",
            "warmup_steps": args.sft_warmup_steps, "seed": seed,
            "activation_checkpointing": False, "save_strategy": "no", "logging_steps": 20, "max_image_side": 256,
            "disable_tqdm": True}))
        done.write_text(json.dumps(settings))
    lap("sft")
    if args.sft_only:
        return {"seed": seed, "timings": timings}
    val_rows = {"b_sft": evaluate_model(run_dir / "sft", val, args, seed)} if args.validate else {}
    if args.validate:
        lap("eval_val_sft")
        print(f"seed {seed}: SFT done, validation sampled {val_rows['b_sft']['sampled']}", flush=True)
    result = grpo.run(grpo.load_config(None, {
        "model": str(run_dir / "sft"), "tasks": str(out / "rl" / "tasks.jsonl"), "output_dir": str(run_dir / "grpo"),
        "max_steps": args.grpo_steps, "per_device_train_batch_size": args.grpo_batch,
        "num_generations": args.num_generations, "max_completion_length": args.max_completion_length,
        "max_tool_calling_iterations": args.max_turns, "learning_rate": args.grpo_lr,
        "lr_scheduler_type": "constant", "beta": args.beta, "temperature": args.grpo_temperature,
        "reward": args.grpo_reward, "seed": seed,
        "max_frames": args.max_frames, "overview_frames": args.overview_frames,
        "index": {"clip_model": "ViT-S-32", "clip_pretrained": None, "allow_random_clip": True},
        "activation_checkpointing": False, "save_strategy": "no", "logging_steps": 1,
        "disable_tqdm": True}))
    lap("grpo")
    if args.validate:
        val_rows["c_sft_grpo"] = evaluate_model(run_dir / "grpo", val, args, seed)
        lap("eval_val_grpo")
        print(f"seed {seed}: GRPO done, validation sampled {val_rows['c_sft_grpo']['sampled']}", flush=True)
    # the held-out split, once, at the end
    test_rows = {"b_sft": evaluate_model(run_dir / "sft", test, args, seed),
                 "c_sft_grpo": evaluate_model(run_dir / "grpo", test, args, seed)}
    lap("eval_test")
    return {"seed": seed, "test": test_rows, "val": val_rows, "curve": grpo_curve(result.log_history), "timings": timings}


# ------------------------------------------------------------------------------ tables
def _cell(values: list[float], digits: int = 3) -> str:
    values = [v for v in values if v == v]  # NaN: that path never taken
    if not values:
        return "—"
    spread = statistics.stdev(values) if len(values) > 1 else 0.0
    return f"{statistics.mean(values):.{digits}f} ± {spread:.{digits}f}"


def table(runs: list[dict], split: str, n: int, teacher: dict | None = None) -> list[str]:
    """Main table: per policy and decoding, mean ± std over seeds."""
    keys = ("accuracy", "reward", "tool_path", "tool_calls", "answered")
    lines = [f"| policy ({split}, n={n}) | decoding | " + " | ".join(keys) + " |", "|---|---|" + "---|" * len(keys)]
    for name in ("b_sft", "c_sft_grpo"):
        for mode in ("greedy", "sampled"):
            rows = [run[split][name][mode] for run in runs]
            lines.append(f"| {name} | {mode} | " + " | ".join(_cell([r[k] for r in rows]) for k in keys) + " |")
    if teacher:
        lines.append("| teacher (train tasks) | scripted | " + " | ".join(f"{teacher[k]:.3f}" for k in keys) + " |")
    return lines


def path_table(runs: list[dict], split: str) -> list[str]:
    """Per path, sampled at the GRPO temperature: how often taken, how often completed, how often right."""
    lines = [f"| policy ({split}, sampled) | path | share | completed | accuracy |", "|---|---|---|---|---|"]
    for name in ("b_sft", "c_sft_grpo"):
        for path in PATHS:
            rows = [run[split][name]["sampled"] for run in runs]
            lines.append(f"| {name} | {path} | " + " | ".join(_cell([r[f"{path}/{k}"] for r in rows]) for k in ("share", "completed", "accuracy")) + " |")
    return lines


def verdict(runs: list[dict], split: str, seeds: list[int], mode: str = "sampled", key: str = "accuracy") -> list[str]:
    """Per-seed GRPO gain over SFT on ``key`` (``mode`` decoding); does the mean gain beat the seed spread?"""
    before = [run[split]["b_sft"][mode][key] for run in runs]
    after = [run[split]["c_sft_grpo"][mode][key] for run in runs]
    gains = [c - b for b, c in zip(before, after)]
    noise = max(statistics.stdev(before), statistics.stdev(after)) if len(gains) > 1 else float("nan")
    mean_gain = statistics.mean(gains)
    met = len(gains) > 1 and mean_gain > noise
    return [f"GRPO gain over SFT ({mode} {key}, {split}), per seed: " + ", ".join(f"seed {s} {g:+.3f}" for s, g in zip(seeds, gains)),
            f"mean gain {mean_gain:+.3f}; seed spread (largest std of SFT or SFT+GRPO) {noise:.3f}; "
            f"target gain > spread: {'MET' if met else 'NOT met'}"]


def plot_curves(curves: dict[int, list[dict[str, float]]], path: Path) -> None:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    fig, (top, bottom) = plt.subplots(2, 1, figsize=(6, 5), sharex=True)
    for seed, rows in curves.items():
        steps = [r["step"] for r in rows]
        top.plot(steps, [r["reward"] for r in rows], label=f"seed {seed}")
        bottom.plot(steps, [r.get("episode/tool_calls", float("nan")) for r in rows], label=f"seed {seed}")
    top.set_ylabel("GRPO train reward (mean)")
    bottom.set_ylabel("tool calls per rollout")
    bottom.set_xlabel("GRPO step")
    top.legend(fontsize=7)
    fig.tight_layout()
    fig.savefig(path, dpi=80)
    plt.close(fig)


def main(args: Args) -> None:
    from vagent.env.environment import tools_for

    out, started = Path(args.out), time.time()
    val, test = suite(args, "val"), suite(args, "test")
    train = suite(args, "train")
    for task in [*suite(args, "rl"), *val, *test]:
        tools_for(task.video, index_settings())  # indexes built once here, not in every worker
    data = collect_teacher(args, train)
    print(f"teacher: {data['kept']:.0f}/{len(train)} trajectories, {data['teacher']}", flush=True)

    if args.workers > 1:
        import multiprocessing
        from concurrent.futures import ProcessPoolExecutor

        with ProcessPoolExecutor(args.workers, mp_context=multiprocessing.get_context("spawn")) as pool:
            runs = list(pool.map(train_and_evaluate, [args] * len(args.seeds), args.seeds, [data["path"]] * len(args.seeds)))
    else:
        runs = [train_and_evaluate(args, seed, data["path"]) for seed in args.seeds]
    seconds = time.time() - started
    if args.sft_only:
        print(f"SFT only: {seconds:.0f} s; " + "; ".join(f"seed {r['seed']}: {r['timings']}" for r in runs))
        return

    lines = [f"Protocol `{args.protocol}`: teacher tool-path share {args.tool_share}; "
             f"{data['kept']:.0f} SFT trajectories; seeds {args.seeds}; mean ± std over seeds.", "",
             "Held-out split (run once, at the end):", ""]
    lines += table(runs, "test", len(test), data["teacher"])
    lines += ["", *verdict(runs, "test", args.seeds), *verdict(runs, "test", args.seeds, "greedy"),
              *verdict(runs, "test", args.seeds, "sampled", "tool_path")]
    lines += ["", f"Per path, sampled at temperature {args.grpo_temperature} ({args.n_samples} samples per task; "
              "completed = answered with no invalid turn):", ""]
    lines += path_table(runs, "test")
    if args.validate:
        lines += ["", f"Validation split (n={len(val)}, the split every choice was made on):", ""]
        lines += table(runs, "val", len(val))
        lines += ["", *verdict(runs, "val", args.seeds), "", *path_table(runs, "val")]
    lines += ["", f"{seconds:.0f} s in all on {os.cpu_count()} cores ({args.workers} seed(s) at a time). Seconds per phase: " + "; ".join(
        f"seed {run['seed']}: " + ", ".join(f"{k} {v:.0f}" for k, v in run["timings"].items()) for run in runs)]
    text = "\n".join(lines)
    print(text)
    payload = {"args": asdict(args), "seconds": round(seconds, 1), "n_train_trajectories": data["kept"], "teacher": data["teacher"],
               "runs": [{k: v for k, v in run.items() if k != "curve"} for run in runs],
               "grpo_curves": {str(run["seed"]): run["curve"] for run in runs}}
    (out / "results.json").write_text(json.dumps(payload, indent=1))
    (out / "results.txt").write_text(text + "\n")
    if args.results and not args.quick:
        res = Path(args.results)
        res.mkdir(parents=True, exist_ok=True)
        stem = "learn" if args.protocol == "mixed" else f"learn_{args.protocol}"
        (res / f"{stem}.json").write_text(json.dumps(payload, indent=1))
        (res / f"{stem}.md").write_text(f"# bench/learn.py --protocol {args.protocol}\n\n`python bench/learn.py " + " ".join(
            f"--{k.replace('_', '-')} {' '.join(map(str, v)) if isinstance(v, list) else v}" for k, v in asdict(args).items()
            if k not in ("out", "results", "quick")) + "`\n\n" + text + "\n")
        plot_curves({run["seed"]: run["curve"] for run in runs}, res / f"{stem}_reward_curve.png")


if __name__ == "__main__":
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    for name, value in asdict(Args(protocol="mixed")).items():
        if isinstance(value, list):
            parser.add_argument(f"--{name.replace('_', '-')}", type=int, nargs="+", default=value)
        else:
            parser.add_argument(f"--{name.replace('_', '-')}", type=type(value), default=value)
    main(Args(**vars(parser.parse_args())))
