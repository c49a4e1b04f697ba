"""Recompute the per-task rows of a learn_v2 held-out run whose final aggregation did not finish.

Used once, for the look of protocol f5880bf: its SmolLM2 job could not finish within the session
(GRPO steps took about 240 s each), so ``bench/learn_v2.py`` never reached the step that writes
``learn_v2.json`` and the tiny model's rows, held in memory, were lost. The models it trained are
on disk; greedy decoding is deterministic, so evaluating the SAME checkpoints on the SAME held-out
tasks with the SAME code gives the rows the run computed. Each recomputed per-seed mean is checked
against the mean the run printed during its look (``--log``); a mismatch stops the script. No model
is trained and nothing is chosen here.

    python bench/learn_v2_recompute.py --log runs/learn_v2_test.log --models tiny
"""

from __future__ import annotations

import argparse
import json
import re
import statistics
import sys
import time
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

import learn_v2 as run  # noqa: E402


def printed_means(log: Path) -> dict[tuple[str, int, str], float]:
    """``(model, seed, arm) -> exact`` as the run printed them ("tiny seed 3: eval_rft 68 s, exact 0.000")."""
    found = re.findall(r"^(\w+) seed (\d+): eval_(\w+) \d+ s, exact ([0-9.]+)$", log.read_text(), flags=re.M)
    return {(model, int(seed), arm): float(value) for model, seed, arm, value in found}


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--log", required=True)
    parser.add_argument("--models", nargs="+", default=["tiny"])
    parser.add_argument("--out", default="runs/learn_v2")
    options = parser.parse_args()
    from vagent.env.tasks import load_tasks

    args = run.Args(split="test", out=options.out)
    printed = printed_means(Path(options.log))
    tasks, train = load_tasks(Path(args.out) / "test" / "tasks.jsonl"), load_tasks(Path(args.out) / "train" / "tasks.jsonl")
    looks = json.loads(Path(args.results, "learn_v2.looks.json").read_text())
    runs = []
    for model in options.models:
        jobs = []
        for seed in getattr(args, f"{model}_seeds"):
            run_dir = Path(args.out) / "test" / f"{model}-seed{seed}"
            paths = {"sft": run_dir / "sft", "rft": run_dir / "rft" / "model", "grpo": run_dir / "grpo"}
            rows = {}
            for arm, path in paths.items():
                started = time.time()
                rows[arm] = run.evaluate(args, model, path, tasks, seed)
                mean = statistics.mean(r["exact"] for r in rows[arm])
                if abs(mean - printed[(model, seed, arm)]) > 5e-4:
                    raise SystemExit(f"{model} seed {seed} {arm}: recomputed {mean:.3f} != printed {printed[(model, seed, arm)]:.3f}")
                print(f"{model} seed {seed}: {arm} recomputed in {time.time() - started:.0f} s, exact {mean:.3f} (printed, matches)", flush=True)
            history = json.loads((run_dir / "grpo" / "log_history.json").read_text())
            kept = sum(1 for _ in open(run_dir / "rft" / "samples.jsonl"))
            jobs.append({"model": model, "seed": seed, "rows": rows, "timings": {},
                         "rft": {"rollouts": run.setting(args, model, "grpo_steps") * args.grpo_batch, "kept": kept},
                         "curve": [{"step": r["step"], "reward": r["reward"]} for r in history if "reward" in r and "step" in r]})
        report = run.run_report(model, jobs, tasks, run.best_constants(train))
        report["curves"] = {str(j["seed"]): j["curve"] for j in jobs}
        runs.append(report)
    payload = {"protocol": args.protocol, "protocol_commit": looks[0]["protocol_commit"], "heldout_looks": 1, "split": "test",
               "command": looks[0]["command"], "recomputed": __doc__.split("\n\n")[1].replace("\n", " "), "args": vars(args),
               "runs": runs}
    text = run.markdown(payload)
    print(text)
    results = Path(args.results)
    (results / "learn_v2.json").write_text(json.dumps(payload, indent=1, default=str))
    (results / "learn_v2.md").write_text(text + "\n")
    run.plot_curves(payload, results / "learn_v2_curve.png")


if __name__ == "__main__":
    main()
