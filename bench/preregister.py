"""The pieces of a pre-registered learning benchmark that must be right by construction.

- :func:`registered_commit` / :func:`claim_heldout_look`: the held-out split runs only under a
  protocol file that is committed and unchanged since the commit that added it, and only once per
  protocol (the look is claimed in a file BEFORE anything is evaluated, so a crash counts too);
  :func:`continue_heldout_look` lets a runner resume that same look after a crash;
- :func:`best_constants` / :func:`constant_accuracy`: the best constant answer per family, chosen on
  the training answers, scored on other tasks;
- :func:`rejection_sample`: the trajectories rejection-sampling fine-tuning keeps (answered, exactly
  right);
- :func:`paired_bootstrap`: the mean of per-task differences between two arms over seeds, with a
  95% CI that resamples tasks and seeds.
"""

from __future__ import annotations

import json
import subprocess
import time
from collections import Counter
from pathlib import Path
from typing import Any

import numpy as np


class ProtocolError(RuntimeError):
    """The held-out split may not be run (protocol not registered, changed, or already looked at)."""


def _git(root: Path, *args: str) -> subprocess.CompletedProcess:
    return subprocess.run(["git", "-C", str(root), *args], capture_output=True, text=True, check=False)


def registered_commit(protocol: str | Path) -> str:
    """The commit that added ``protocol``; raises :class:`ProtocolError` unless the file is committed,
    has no uncommitted change, and is byte-identical to that commit's version."""
    path = Path(protocol).resolve()
    root = Path(_git(path.parent, "rev-parse", "--show-toplevel").stdout.strip() or path.parent)
    rel = str(path.relative_to(root))
    if _git(root, "ls-files", "--error-unmatch", rel).returncode != 0:
        raise ProtocolError(f"{rel} is not committed: commit the protocol before the held-out run")
    if _git(root, "diff", "--quiet", "HEAD", "--", rel).returncode != 0:
        raise ProtocolError(f"{rel} has uncommitted changes: a changed protocol is a new protocol (new file, new split)")
    added = _git(root, "log", "--diff-filter=A", "--format=%H", "--", rel).stdout.split()
    if not added:
        raise ProtocolError(f"{rel}: no commit adds it")
    commit = added[-1]
    if _git(root, "diff", "--quiet", commit, "HEAD", "--", rel).returncode != 0:
        raise ProtocolError(f"{rel} changed since it was registered in {commit[:10]}: write a new protocol")
    return commit


def claim_heldout_look(looks_file: str | Path, protocol: str | Path, command: str) -> dict[str, Any]:
    """Record the one held-out look of ``protocol`` in ``looks_file``; refuse a second one."""
    commit = registered_commit(protocol)
    looks_path = Path(looks_file)
    looks = json.loads(looks_path.read_text()) if looks_path.is_file() else []
    if any(look["protocol_commit"] == commit for look in looks):
        raise ProtocolError(f"the held-out split of {protocol} (registered {commit[:10]}) was already run: "
                            "one look per protocol; a new idea needs a new protocol and a new split")
    look = {"protocol": str(protocol), "protocol_commit": commit, "started": time.strftime("%Y-%m-%dT%H:%M:%SZ", time.gmtime()),
            "command": command}
    looks_path.parent.mkdir(parents=True, exist_ok=True)
    looks_path.write_text(json.dumps([*looks, look], indent=1) + "\n")
    return look


def continue_heldout_look(looks_file: str | Path, protocol: str | Path) -> dict[str, Any]:
    """The look already claimed for ``protocol`` (a runner resuming after a crash continues it: the
    phases it finished are kept, never rerun); refuses when no look was claimed."""
    commit = registered_commit(protocol)
    looks_path = Path(looks_file)
    looks = json.loads(looks_path.read_text()) if looks_path.is_file() else []
    mine = [look for look in looks if look["protocol_commit"] == commit]
    if not mine:
        raise ProtocolError(f"no held-out look of {protocol} (registered {commit[:10]}) was started: nothing to resume")
    return mine[0]


def best_constants(train_tasks: list[Any]) -> dict[str, Any]:
    """Per family, the answer most frequent among the training tasks (ties: the smallest, as text)."""
    by_family: dict[str, Counter] = {}
    for task in train_tasks:
        by_family.setdefault(task.metadata["family"], Counter())[json.dumps(task.answer)] += 1
    return {family: json.loads(min(counts, key=lambda a: (-counts[a], a))) for family, counts in by_family.items()}


def constant_accuracy(constants: dict[str, Any], tasks: list[Any]) -> list[float]:
    """Per task, 1.0 where the family's constant is exactly the answer (the ``exact_match`` reward of an
    episode that answers the constant)."""
    from vagent.env.rewards import exact_match

    return [exact_match(f"<answer>{constants.get(t.metadata['family'], '')}</answer>", t) for t in tasks]


def rejection_sample(episodes: list[tuple[Any, Any]]) -> list[tuple[Any, Any]]:
    """The ``(state, task)`` pairs RFT keeps: answered, with no malformed turn, and exactly right."""
    from vagent.env.rewards import exact_match

    kept = []
    for state, task in episodes:
        malformed = any((step.get("action") or {}).get("kind") == "invalid" for step in state.steps)
        if state.end_reason == "answered" and not malformed and exact_match(state, task) == 1.0:
            kept.append((state, task))
    return kept


def paired_bootstrap(a: np.ndarray, b: np.ndarray, resamples: int = 10_000, seed: int = 0) -> dict[str, Any]:
    """Mean of ``a - b`` (arrays of shape seeds x tasks, paired by position) with a 95% CI from a
    bootstrap that resamples tasks and, when there are several, seeds."""
    diff = np.asarray(a, dtype=float) - np.asarray(b, dtype=float)
    if diff.ndim == 1:
        diff = diff[None, :]
    seeds, tasks = diff.shape
    rng = np.random.default_rng(seed)
    means = np.empty(resamples)
    for r in range(resamples):
        rows = rng.integers(0, seeds, seeds) if seeds > 1 else np.zeros(1, dtype=int)
        cols = rng.integers(0, tasks, tasks)
        means[r] = diff[np.ix_(rows, cols)].mean()
    low, high = np.percentile(means, [2.5, 97.5])
    return {"mean": round(float(diff.mean()), 4), "ci95": [round(float(low), 4), round(float(high), 4)],
            "seeds": int(seeds), "tasks": int(tasks), "resamples": resamples}
