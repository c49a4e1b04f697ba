"""The LangGraph agent: policy <-> act loop, recovery, budgets, failures, JSON state, drawing."""

from __future__ import annotations

import json
import time
from dataclasses import asdict
from types import SimpleNamespace

import pytest
from hypothesis import given
from hypothesis import strategies as st

import vagent.agent.episode as episode_module
import vagent.agent.graph as graph_module
from vagent.agent.episode import Budget, Episode, Generation
from vagent.agent.graph import build_graph, recursion_limit, run_episode
from vagent.agent.policy import Policy
from tests.test_episode import BAD_ARGUMENTS, MALFORMED, ReplayPolicy, answer, call, start, synthetic_video, text_of, tools  # noqa: F401

MERMAID = """---
config:
  flowchart:
    curve: linear
---
graph TD;
\t__start__([<p>__start__</p>]):::first
\tpolicy(policy)
\tact(act)
\t__end__([<p>__end__</p>]):::last
\t__start__ --> policy;
\tact -.-> __end__;
\tact -.-> policy;
\tpolicy --> act;
\tclassDef default fill:#f2f0ff,line-height:1.2
\tclassDef first fill-opacity:0
\tclassDef last fill:#bfb6fc
"""


def test_replay_policy_is_a_policy():
    assert isinstance(ReplayPolicy([]), Policy)


def test_mermaid_snapshot():
    drawing = build_graph().get_graph().draw_mermaid()
    assert drawing == MERMAID
    graph = build_graph().get_graph()
    assert set(graph.nodes) == {"__start__", "policy", "act", "__end__"}


def test_malformed_turns_are_corrected_and_the_run_recovers(tools):
    malformed = [text for text, _ in MALFORMED.values()]
    bad_args = [text for text, _ in BAD_ARGUMENTS.values()]
    policy = ReplayPolicy([*malformed, *bad_args, call("detect_scenes"), answer("2")])
    episode = start(tools, max_turns=len(malformed) + len(bad_args) + 2)
    state = run_episode(episode, policy)
    assert state.end_reason == "answered" and state.answer == "2" and state.error is None
    assert not policy.replies, "every scripted turn was used"
    # after each bad turn the policy was shown what was wrong
    problems = [problem for _, problem in [*MALFORMED.values(), *BAD_ARGUMENTS.values()]]
    for (_, shown), problem in zip(policy.seen[1:], problems):
        assert problem in text_of(shown)
        assert shown["role"] == ("user" if problem in dict(MALFORMED.values()).values() else "tool")
    assert [s["action"]["kind"] for s in state.steps][-2:] == ["tool_calls", "answer"]
    assert state.steps[-2]["calls"][0]["error"] is False


def test_max_turns_then_answer_only_turn(tools):
    policy = ReplayPolicy([call("detect_scenes")] * 3 + [answer("4")])
    state = run_episode(start(tools, max_turns=3), policy)
    assert state.end_reason == "answered" and state.turns == 4 and state.tool_calls == 3
    assert "turn budget is used up" in text_of(policy.seen[-1][1])


def test_max_turns_without_an_answer_ends_with_the_budget(tools):
    policy = ReplayPolicy([call("detect_scenes")] * 4)
    state = run_episode(start(tools, max_turns=3), policy)
    assert state.end_reason == "max_turns" and state.answer is None
    assert state.turns == 4 and state.tool_calls == 3 and len(policy.seen) == 4  # never more than budget + 1


def test_max_frames_via_the_graph(tools):
    policy = ReplayPolicy([call("crop_clip", start=0.0, end=8.0, num_frames=8), call("crop_clip", start=0.0, end=8.0), "?"])
    state = run_episode(start(tools, max_frames=5), policy)
    assert state.end_reason == "max_frames" and state.frames_shown == 5 and state.tool_calls == 1


def test_max_seconds_via_the_graph(tools, monkeypatch):
    clock = [time.time()]
    monkeypatch.setattr(episode_module, "time", SimpleNamespace(time=lambda: clock[0], perf_counter=time.perf_counter))

    def slow_turn(messages):
        clock[0] += 100.0  # this turn "takes" 100 s
        return call("detect_scenes")

    policy = ReplayPolicy([call("detect_scenes"), slow_turn, answer("1")])
    state = run_episode(start(tools, max_seconds=50.0), policy)
    assert state.end_reason == "answered" and state.turns == 3
    assert state.steps[1]["budget_reason"] == "max_seconds"
    assert "time budget is used up" in text_of(policy.seen[-1][1])


@pytest.mark.parametrize("when", [0, 2])
def test_a_raising_policy_ends_the_episode_with_error(tools, when):
    policy = ReplayPolicy([call("detect_scenes")] * when + [RuntimeError("backend down")])
    state = run_episode(start(tools), policy)
    assert state.end_reason == "error" and state.answer is None
    assert state.error == "policy failed: RuntimeError: backend down"
    assert state.turns == when


def test_a_generation_error_ends_the_episode(tools):
    class Failing:
        name, include_schemas = "failing", True

        def generate(self, messages, tools):
            return Generation(text="", error="HTTP 500 after 3 retries")

    state = run_episode(start(tools), Failing())
    assert state.end_reason == "error" and "HTTP 500" in state.error and state.turns == 0


def test_state_and_every_update_are_json(tools):
    updates = []
    policy = ReplayPolicy([call("crop_clip", start=0.0, end=2.0, num_frames=2), MALFORMED["broken_json"][0], answer("3")])
    state = run_episode(start(tools), policy, on_update=lambda node, update: updates.append((node, json.dumps(update))))
    assert [node for node, _ in updates] == ["policy", "act"] * 3
    final = json.loads(json.dumps(asdict(state)))
    assert final["end_reason"] == "answered" and len(final["steps"]) == 3
    assert json.loads(updates[-1][1])["episode"] == final
    # streamed updates are snapshots: later turns do not change what was already delivered
    first_act = json.loads(updates[1][1])["episode"]
    assert first_act["turns"] == 1 and len(first_act["steps"]) == 1


def test_streamed_updates_are_not_mutated_later(tools):
    kept = []
    policy = ReplayPolicy([call("detect_scenes"), call("detect_scenes"), answer("3")])
    run_episode(start(tools), policy, on_update=lambda node, update: kept.append((node, len(update["episode"]["messages"]) if node == "act" else None, update)))
    for node, length, update in kept:
        if node == "act":
            assert len(update["episode"]["messages"]) == length


def test_recursion_limit_is_set_per_episode(tools, monkeypatch):
    limits = []
    graph = graph_module.build_graph()  # compiled once per process and shared
    stream = graph.stream

    def spy(*args, **kwargs):
        limits.append(kwargs["config"]["recursion_limit"])
        return stream(*args, **kwargs)

    monkeypatch.setattr(graph, "stream", spy)
    for max_turns in (2, 5):
        run_episode(start(tools, max_turns=max_turns), ReplayPolicy([answer("1")]))
    assert limits == [recursion_limit(Budget(max_turns=2)), recursion_limit(Budget(max_turns=5))]


def test_a_long_budget_runs_past_langgraphs_default_recursion_limit(tools):
    # 30 tool turns + the answer-only turn = 62 graph steps (LangGraph's default limit is 25)
    policy = ReplayPolicy([call("detect_scenes")] * 31)
    state = run_episode(start(tools, max_turns=30, max_frames=10_000), policy)
    assert state.end_reason == "max_turns" and state.turns == 31


@given(max_turns=st.integers(min_value=1, max_value=500))
def test_recursion_limit_covers_the_whole_budget(max_turns):
    # one policy and one act step per turn, for max_turns turns plus the answer-only turn
    assert recursion_limit(Budget(max_turns=max_turns)) >= 2 * (max_turns + 1)


def test_run_episode_accepts_a_resumed_episode(tools):
    first = start(tools)
    first.step(call("detect_scenes"))
    resumed = Episode.from_dict(json.loads(json.dumps(first.to_dict())), tools, first.budget)
    state = run_episode(resumed, ReplayPolicy([answer("2")]))
    assert state.turns == 2 and state.end_reason == "answered"
