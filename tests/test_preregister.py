"""The pre-registered learning benchmark's guards and arms (bench/preregister.py), on hand-built cases."""

from __future__ import annotations

import subprocess
import sys
from pathlib import Path

import numpy as np
import pytest

sys.path.insert(0, str(Path(__file__).resolve().parents[1] / "bench"))

from preregister import (  # noqa: E402
    ProtocolError,
    best_constants,
    claim_heldout_look,
    constant_accuracy,
    paired_bootstrap,
    rejection_sample,
)
from vagent.agent.episode import EpisodeState  # noqa: E402
from vagent.env.tasks import Task  # noqa: E402


def git(repo: Path, *args: str) -> None:
    subprocess.run(["git", "-C", str(repo), "-c", "user.name=t", "-c", "user.email=t@t", *args], check=True, capture_output=True)


@pytest.fixture()
def repo(tmp_path) -> Path:
    git(tmp_path, "init", "-q")
    (tmp_path / "README").write_text("x\n")
    git(tmp_path, "add", "README")
    git(tmp_path, "commit", "-qm", "start")
    return tmp_path


def test_the_heldout_split_is_refused_until_the_protocol_is_committed_and_then_looked_at_once(repo):
    protocol, looks = repo / "protocol.md", repo / "looks.json"
    protocol.write_text("settings\n")
    with pytest.raises(ProtocolError, match="not committed"):
        claim_heldout_look(looks, protocol, "run")
    git(repo, "add", "protocol.md")
    git(repo, "commit", "-qm", "register")
    protocol.write_text("settings, changed after a look at the results\n")
    with pytest.raises(ProtocolError, match="uncommitted changes"):
        claim_heldout_look(looks, protocol, "run")
    git(repo, "checkout", "protocol.md")
    look = claim_heldout_look(looks, protocol, "run")  # the one look
    assert look["command"] == "run" and len(look["protocol_commit"]) == 40 and looks.is_file()
    with pytest.raises(ProtocolError, match="already run"):
        claim_heldout_look(looks, protocol, "run again")


def test_a_protocol_changed_in_a_later_commit_is_a_new_protocol(repo):
    protocol = repo / "protocol.md"
    protocol.write_text("v1\n")
    git(repo, "add", "protocol.md")
    git(repo, "commit", "-qm", "register")
    protocol.write_text("v2\n")
    git(repo, "commit", "-qam", "edit")
    with pytest.raises(ProtocolError, match="changed since it was registered"):
        claim_heldout_look(repo / "looks.json", protocol, "run")
    assert not (repo / "looks.json").exists()


def task(family: str, answer, kind: str) -> Task:
    return Task(f"{family}-{answer}", "/v.mp4", "?", kind, answer, metadata={"family": family})


def test_the_constant_arm_is_the_most_frequent_train_answer_per_family_scored_exactly():
    train = [task("count_cuts", 5.0, "number"), task("count_cuts", 5.0, "number"), task("count_cuts", 3.0, "number"),
             task("corner_text", "ABCD", "text"), task("corner_text", "WXYZ", "text")]
    constants = best_constants(train)
    assert constants == {"count_cuts": 5.0, "corner_text": "ABCD"}  # ties: the first in sorted order
    test = [task("count_cuts", 5.0, "number"), task("count_cuts", 4.0, "number"), task("corner_text", "ABCD", "text"),
            task("corner_text", "QQQQ", "text")]
    assert constant_accuracy(constants, test) == [1.0, 0.0, 1.0, 0.0]  # 5 for 4 gets no partial credit


def state(answer: str | None, end: str = "answered", kinds=("tool_calls", "answer")) -> EpisodeState:
    return EpisodeState(question="?", options=None, video="/v.mp4", messages=[], answer=answer, end_reason=end,
                        steps=[{"action": {"kind": k}, "calls": []} for k in kinds])


def test_rft_keeps_only_answered_exactly_right_well_formed_rollouts():
    count = task("count_cuts", 4.0, "number")
    kept = rejection_sample([
        (state("4"), count),                                       # right: kept
        (state("5"), count),                                       # close but not exact: dropped
        (state("4", kinds=("invalid", "tool_calls", "answer")), count),  # right after a malformed turn: dropped
        (state(None, end="max_turns"), count),                     # no answer: dropped
    ])
    assert [s.answer for s, _ in kept] == ["4"]


def test_paired_bootstrap_finds_a_real_difference_and_not_a_null_one():
    rng = np.random.default_rng(0)
    base = rng.integers(0, 2, size=(3, 100)).astype(float)
    better = np.maximum(base, rng.integers(0, 2, size=(3, 100)) * (rng.random((3, 100)) < 0.5))
    gain = paired_bootstrap(better, base, resamples=2000)
    assert gain["mean"] > 0 and gain["ci95"][0] > 0 and gain["seeds"] == 3 and gain["tasks"] == 100
    same = paired_bootstrap(base, base, resamples=500)
    assert same["mean"] == 0 and same["ci95"] == [0.0, 0.0]


def test_a_resumed_run_continues_the_claimed_look_and_never_starts_one(repo):
    from preregister import continue_heldout_look

    protocol, looks = repo / "protocol.md", repo / "looks.json"
    protocol.write_text("settings\n")
    git(repo, "add", "protocol.md")
    git(repo, "commit", "-qm", "register")
    with pytest.raises(ProtocolError, match="nothing to resume"):
        continue_heldout_look(looks, protocol)
    claimed = claim_heldout_look(looks, protocol, "run")
    assert continue_heldout_look(looks, protocol) == claimed


def test_a_finished_phase_is_kept_and_never_recomputed(tmp_path):
    import learn_v3

    calls = []

    def evaluate():
        calls.append(1)
        return {"rows": [{"exact": 1.0}, {"exact": 0.0}]}

    first = learn_v3.phase(tmp_path, "eval_sft", evaluate)
    again = learn_v3.phase(tmp_path, "eval_sft", evaluate)
    assert calls == [1] and first == again and first["rows"][0]["exact"] == 1.0
    assert (tmp_path / "phases" / "eval_sft.json").is_file()
