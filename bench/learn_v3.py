"""Learning benchmark v3, pre-registered (bench/protocols/learn_v3.md): learn_v2's task, arms and
SmolLM2 settings on a fresh split, run so that every arm of the pretrained model finishes.

learn_v2's held-out run lost its SmolLM2 GRPO arm to the session's end: its phases ran one after
another in one process (about 2.5 hours for SmolLM2 alone). Here the SFT model is trained first,
then two processes run the two branches that start from it side by side (each phase in a fresh
process, so no process carries one phase's memory into the next):

- GRPO from the SFT model (activation checkpointing on: a GRPO step held about 12 GB without it,
  too much beside a second process on a 24 GB machine), then its evaluation;
- the SFT model's evaluation, RFT (sample, filter, fine-tune), then RFT's evaluation.

Every phase writes its result to ``<out>/<split>/<model>-seed<seed>/phases/<phase>.json`` the moment
it ends, so a crash loses one phase, not the run: ``--resume`` (held-out split: only under the look
already claimed for this protocol) finishes the missing phases and never repeats a finished one.
Task, demonstrator, arms, metrics and report are learn_v2's (``bench/learn_v2.py``).

    python bench/learn_v3.py --split val --quick 1       # a smoke run (minutes; numbers mean nothing)
    python bench/learn_v3.py --split test                # ONE look, refused unless the protocol is registered
    python bench/learn_v3.py --split test --resume 1     # after a crash: the missing phases of that look
"""

from __future__ import annotations

import json
import multiprocessing
import statistics
import sys
import time
from concurrent.futures import ProcessPoolExecutor
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any, Callable

sys.path.insert(0, str(Path(__file__).resolve().parent))

import learn_v2 as v2  # noqa: E402  (sets OMP_NUM_THREADS=1 and HF_HUB_OFFLINE=1 before torch loads)
from preregister import best_constants, claim_heldout_look, continue_heldout_look  # noqa: E402

NAME = "learn_v3"


@dataclass
class Args(v2.Args):
    models: list[str] = field(default_factory=lambda: ["smollm2"])
    smollm2_seeds: list[int] = field(default_factory=lambda: [0])
    first_seed: int = 30000
    """Train 30000+, RL 31000+, validation 32000+, held-out 33000+: never used before (earlier
    benchmarks used 0-5999 and 20000-23099)."""
    out: str = "runs/learn_v3"
    protocol: str = "bench/protocols/learn_v3.md"
    resume: int = 0
    """1: finish the missing phases of a run that stopped (on the held-out split, of the look already claimed)."""


def phase(run_dir: Path, name: str, compute: Callable[[], dict[str, Any]]) -> dict[str, Any]:
    """``compute()``'s result, saved as ``phases/<name>.json`` when it ends; read back if already there."""
    path = run_dir / "phases" / f"{name}.json"
    if path.is_file():
        print(f"{run_dir.name}: {name} already done, kept", flush=True)
        return json.loads(path.read_text())
    started = time.time()
    result = {**compute(), "seconds": 0.0}
    result["seconds"] = round(time.time() - started, 1)
    path.parent.mkdir(parents=True, exist_ok=True)
    temporary = path.with_suffix(".tmp")
    temporary.write_text(json.dumps(result, indent=1))
    temporary.replace(path)
    score = f", exact {statistics.mean(r['exact'] for r in result['rows']):.3f}" if "rows" in result else ""
    print(f"{run_dir.name}: {name} {result['seconds']:.0f} s{score}", flush=True)
    return result


def run_dir_of(args: Args, model: str, seed: int) -> Path:
    return Path(args.out) / args.split / f"{model}-seed{seed}"


def _split(args: Args, name: str) -> list:
    from vagent.env.tasks import load_tasks

    return load_tasks(Path(args.out) / name / "tasks.jsonl")


ARM_MODEL = {"sft": "sft", "rft": "rft/model", "grpo": "grpo"}
"""Where each arm's model is saved, under the run's folder."""


def _threads(n: int) -> None:
    import torch

    torch.set_num_threads(n)


def train_sft(args: Args, model: str, seed: int, demos: str) -> dict[str, Any]:
    """The SFT model every arm starts from (two threads: nothing else of this run is running yet)."""
    _threads(2)
    run_dir = run_dir_of(args, model, seed)

    def train() -> dict[str, Any]:
        v2.sft_run(args, model, v2.base_model(args, model, seed, run_dir), demos, run_dir / "sft", v2.setting(args, model, "sft_steps"), seed)
        return {}

    return phase(run_dir, "sft", train)


def train_grpo(args: Args, model: str, seed: int) -> dict[str, Any]:
    """GRPO from the SFT model, with activation checkpointing (see the module docstring)."""
    _threads(1)
    run_dir = run_dir_of(args, model, seed)
    return phase(run_dir, "grpo", lambda: {"curve": v2.grpo_train(args, model, seed, run_dir, _split(args, "rl"), checkpointing=True)})


def train_rft(args: Args, model: str, seed: int, demos: str) -> dict[str, Any]:
    """RFT from the SFT model: sample as many rollouts as GRPO makes, keep the exactly-right ones, fine-tune."""
    _threads(1)
    run_dir = run_dir_of(args, model, seed)
    return phase(run_dir, "rft", lambda: v2.rft_train(args, model, seed, demos, run_dir, _split(args, "rl")))


def evaluate_arm(args: Args, model: str, seed: int, arm: str) -> dict[str, Any]:
    """One arm's greedy episodes on the chosen split."""
    _threads(1)
    run_dir = run_dir_of(args, model, seed)
    return phase(run_dir, f"eval_{arm}", lambda: {"rows": v2.evaluate(args, model, run_dir / ARM_MODEL[arm], _split(args, args.split), seed)})


def in_order(pool: ProcessPoolExecutor, *calls: tuple) -> list[dict[str, Any]]:
    """One chain of phases, each in a fresh process of ``pool``."""
    return [pool.submit(*call).result() for call in calls]


def run_job(args: Args, model: str, seed: int, demos: str, pool: ProcessPoolExecutor) -> dict[str, Any]:
    """SFT, then the two chains that start from it side by side; learn_v2's job record."""
    from concurrent.futures import ThreadPoolExecutor

    sft = pool.submit(train_sft, args, model, seed, demos).result()
    with ThreadPoolExecutor(2) as chains:
        grpo = chains.submit(in_order, pool, (train_grpo, args, model, seed), (evaluate_arm, args, model, seed, "grpo"))
        rest = chains.submit(in_order, pool, (evaluate_arm, args, model, seed, "sft"), (train_rft, args, model, seed, demos),
                             (evaluate_arm, args, model, seed, "rft"))
        (grpo_run, grpo_eval), (sft_eval, rft_run, rft_eval) = grpo.result(), rest.result()
    timings = {"sft": sft["seconds"], "eval_sft": sft_eval["seconds"], "rft": rft_run["seconds"], "eval_rft": rft_eval["seconds"],
               "grpo": grpo_run["seconds"], "eval_grpo": grpo_eval["seconds"]}
    return {"model": model, "seed": seed, "rft": {k: rft_run[k] for k in ("rollouts", "kept")}, "curve": grpo_run["curve"],
            "rows": {"sft": sft_eval["rows"], "rft": rft_eval["rows"], "grpo": grpo_eval["rows"]}, "timings": timings}


def prepare(args: Args) -> dict[str, Any]:
    """Tasks of every split, their indexes (built once, here) and the reward-filtered demonstrations."""
    from vagent.env.environment import tools_for

    train = v2.make_split(args, "train")
    for task in [*v2.make_split(args, "rl"), *v2.make_split(args, args.split)]:
        tools_for(task.video, v2.env_config(args).index)
    demos_file = Path(args.out) / "data" / "demos.json"
    if args.resume and demos_file.is_file():
        return json.loads(demos_file.read_text())
    demos = v2.demonstrations(args, train)
    demos_file.write_text(json.dumps(demos))
    return demos


def main(args: Args, command: str) -> None:
    look = None
    if args.split == "test" and not args.quick:
        looks_file = Path(args.results) / f"{NAME}.looks.json"
        look = continue_heldout_look(looks_file, args.protocol) if args.resume else claim_heldout_look(looks_file, args.protocol, command)
    started = time.time()
    with ProcessPoolExecutor(2, mp_context=multiprocessing.get_context("spawn"), max_tasks_per_child=1) as pool:
        demos = pool.submit(prepare, args).result()  # in a worker: this process keeps no model or index in memory
        print(f"demonstrations: {demos['kept']} of {demos['demonstrations']} exactly right (kept)", flush=True)
        done = [run_job(args, model, seed, demos["path"], pool) for model in args.models for seed in getattr(args, f"{model}_seeds")]
    train, tasks = v2.make_split(args, "train"), v2.make_split(args, args.split)
    constants = best_constants(train)
    runs = []
    for model in args.models:
        mine = [job for job in done if job["model"] == model]
        report = v2.run_report(model, mine, tasks, constants)
        report["curves"] = {str(j["seed"]): j["curve"] for j in mine}
        runs.append(report)
    payload = {"protocol": args.protocol, "protocol_commit": look["protocol_commit"] if look else None,
               "heldout_looks": 1 if look else 0, "resumed": bool(args.resume), "split": args.split, "command": command,
               "args": asdict(args), "demonstrations": demos, "seconds": round(time.time() - started, 1), "runs": runs}
    text = v2.markdown(payload)
    print(text)
    out = Path(args.results) if look else Path(args.out) / args.split  # held-out results are published as they came out
    out.mkdir(parents=True, exist_ok=True)
    (out / f"{NAME}.json").write_text(json.dumps(payload, indent=1))
    (out / f"{NAME}.md").write_text(text + "\n")
    v2.plot_curves(payload, out / f"{NAME}_curve.png")


if __name__ == "__main__":
    main(*v2.parse_command_line(Args, __doc__.splitlines()[0], "bench/learn_v3.py"))
