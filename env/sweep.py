"""Compute sweep: accuracy against inference cost for N = 1, 2, 4, 8 per test-time strategy."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import replace
from pathlib import Path
from typing import Any

from vagent.agent.policy import Policy
from vagent.env.evaluate import EvalConfig, evaluate
from vagent.env.tasks import Task

SWEEP_STRATEGIES = ("self_consistency", "best_of_n", "adaptive")
SWEEP_SAMPLES = (1, 2, 4, 8)


def sweep(
    tasks: list[Task],
    make_policy: Callable[[], Policy],
    config: EvalConfig,
    strategies: tuple[str, ...] = SWEEP_STRATEGIES,
    samples: tuple[int, ...] = SWEEP_SAMPLES,
    on_run: Callable[[dict[str, Any]], None] | None = None,
) -> list[dict[str, Any]]:
    """One evaluation per (strategy, N), each with a freshly made (identically seeded) policy.

    Writes ``sweep.md`` (table) and ``sweep.png`` (accuracy vs. trajectories and vs. seconds)
    into ``config.out_dir``; each run's results live in ``<out_dir>/<strategy>-n<N>/``.
    """
    rows = []
    for strategy in strategies:
        for n in samples:
            scaling = replace(config.scaling, strategy=strategy, samples=n)
            run_config = replace(config, scaling=scaling, out_dir=Path(config.out_dir) / f"{strategy}-n{n}")
            summary = evaluate(tasks, make_policy(), run_config)
            cost = summary["cost_per_task"]
            row = {
                "strategy": strategy,
                "N": n,
                "accuracy": summary["accuracy"],
                "reward": summary["reward"],
                "trajectories": cost.get("trajectories", 0.0),
                "tool_calls": cost.get("tool_calls", 0.0),
                "tokens": cost.get("tokens", 0.0),
                "seconds": cost.get("seconds", 0.0),
            }
            rows.append(row)
            if on_run:
                on_run(row)
    out = Path(config.out_dir)
    (out / "sweep.md").write_text(sweep_table(rows), encoding="utf-8")
    plot_sweep(rows, out / "sweep.png")
    return rows


def sweep_table(rows: list[dict[str, Any]]) -> str:
    lines = [
        "| strategy | N | accuracy | reward | trajectories/task | tool calls/task | tokens/task | seconds/task |",
        "|---|---|---|---|---|---|---|---|",
    ]
    for r in rows:
        lines.append(
            f"| {r['strategy']} | {r['N']} | {r['accuracy']:.3f} | {r['reward']:.3f} | {r['trajectories']:.2f} "
            f"| {r['tool_calls']:.2f} | {r['tokens']:.0f} | {r['seconds']:.2f} |"
        )
    return "\n".join(lines) + "\n"


def plot_sweep(rows: list[dict[str, Any]], path: Path) -> Path:
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    figure, axes = plt.subplots(1, 2, figsize=(10, 4))
    for strategy in dict.fromkeys(r["strategy"] for r in rows):
        points = [r for r in rows if r["strategy"] == strategy]
        for axis, cost in zip(axes, ("trajectories", "seconds")):
            axis.plot([p[cost] for p in points], [p["accuracy"] for p in points], marker="o", label=strategy)
            for p in points:
                axis.annotate(f"N={p['N']}", (p[cost], p["accuracy"]), fontsize=7)
    for axis, cost in zip(axes, ("trajectories per task", "seconds per task")):
        axis.set_xlabel(cost)
        axis.set_ylabel("accuracy")
        axis.grid(alpha=0.3)
        axis.legend()
    figure.suptitle("accuracy vs. inference compute")
    figure.tight_layout()
    figure.savefig(path, dpi=120)
    plt.close(figure)
    return path
