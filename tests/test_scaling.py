"""Test-time scaling: strategies over the scripted policy on synthetic tasks, voting, verifiers, cost."""

from __future__ import annotations

import itertools
import math
from typing import Any

import pytest

from vagent.agent.episode import Budget, Episode, EpisodeState, Generation
from vagent.agent.scaling import ScalingConfig, judge, run_scaled
from vagent.answers import answer_key, vote
from vagent.agent.scripted import ScriptedPolicy
from vagent.env.rewards import accuracy, tool_cost
from vagent.env.synthetic import make_task
from vagent.tools.registry import VideoTools
from tests.test_episode import RANDOM_CLIP, ReplayPolicy, answer, call, text_of

OPTIONS = ["red", "blue", "green"]


class Reseeded:
    """The scripted policy with the next seed for every new trajectory.

    ``ScriptedPolicy`` replays a conversation identically (its randomness is keyed on the seed
    and the conversation), so independent samples need one seed per trajectory.
    """

    name, include_schemas = "scripted-reseeded", True

    def __init__(self, seed: int = 0, temperature: float = 1.0):
        self.seeds = itertools.count(seed)
        self.temperature = temperature
        self.current: ScriptedPolicy | None = None

    def generate(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> Generation:
        if not any(m["role"] == "assistant" for m in messages):
            self.current = ScriptedPolicy(seed=next(self.seeds), temperature=self.temperature)
        return self.current.generate(messages, tools)


@pytest.fixture(scope="module")
def where_at(tmp_path_factory):
    """A where_at task (box answer; the scripted policy takes 1-2 cheap tool calls)."""
    task = make_task("where_at", 1, tmp_path_factory.mktemp("scaling"))
    tools = VideoTools.open(task.video, RANDOM_CLIP)
    yield task, tools
    tools.close()


def starter(task, tools, log: list | None = None, overview: int = 2):
    def start(budget: Budget, scale: int) -> Episode:
        if log is not None:
            log.append((budget.max_frames, scale))
        return Episode.start(tools, task.question, task.options, budget, overview_frames=overview * scale, task_id=task.id)

    return start


def check_cost(result) -> None:
    trajectories, cost = result.trajectories, result.cost
    assert set(cost) == {"trajectories", "tool_calls", "frames", "audio_seconds", "tokens", "seconds"}
    assert cost["trajectories"] == len(trajectories)
    assert cost["tool_calls"] == sum(t.tool_calls for t in trajectories) == sum(len(s["calls"]) for t in trajectories for s in t.steps)
    assert cost["frames"] == sum(t.frames_shown for t in trajectories)
    assert cost["audio_seconds"] == sum(t.audio_seconds for t in trajectories)
    assert cost["frames"] == sum(len(c["image_times"]) for t in trajectories for s in t.steps for c in s["calls"])
    assert cost["tokens"] == sum(s["prompt_tokens"] + s["completion_tokens"] for t in trajectories for s in t.steps)
    assert cost["seconds"] >= 0
    summary = result.summary()
    assert "trajectories" not in summary and summary["cost"] == cost and summary["strategy"] == result.strategy


# ----------------------------------------------------------------------------- strategies on real tasks
def test_single(where_at):
    task, tools = where_at
    result = run_scaled(starter(task, tools), Reseeded(0), Budget(), ScalingConfig())
    assert len(result.trajectories) == 1 and result.chosen == 0 and not result.tie
    assert result.answer == result.trajectories[0].answer and accuracy({"answer": result.answer}, task) > 0.7
    check_cost(result)


def test_self_consistency_is_diverse_deterministic_and_merges_boxes(where_at):
    task, tools = where_at
    config = ScalingConfig(strategy="self_consistency", samples=6)
    result = run_scaled(starter(task, tools), Reseeded(0, temperature=1.0), Budget(), config)
    assert len(result.trajectories) == 6 and all(t.end_reason == "answered" for t in result.trajectories)
    runs = [(t.tool_calls, t.answer) for t in result.trajectories]
    assert len(set(runs)) > 1, "temperature > 0 should vary the trajectories"
    assert [v.count for v in result.votes] == [6], "nearby boxes are one answer (merged by overlap)"
    assert result.answer == result.votes[0].answer and not result.tie
    assert accuracy({"answer": result.answer}, task) > 0.7
    again = run_scaled(starter(task, tools), Reseeded(0, temperature=1.0), Budget(), config)
    assert [(t.tool_calls, t.answer) for t in again.trajectories] == runs, "same seeds, same trajectories"
    check_cost(result)


def test_self_consistency_on_a_counting_task(tmp_path):
    task = make_task("count_cuts", 2, tmp_path, variant="number")
    tools = VideoTools.open(task.video, RANDOM_CLIP)
    result = run_scaled(starter(task, tools), Reseeded(3), Budget(), ScalingConfig(strategy="self_consistency", samples=2))
    assert answer_key(result.answer) == ("number", task.answer) and result.votes[0].count == 2
    check_cost(result)


def test_best_of_n_with_a_reward_verifier(where_at):
    task, tools = where_at
    config = ScalingConfig(strategy="best_of_n", samples=4, verifier="tool_cost")
    result = run_scaled(starter(task, tools), Reseeded(0), Budget(), config)
    assert result.scores == [tool_cost(t, task) for t in result.trajectories]
    best = max(result.scores)
    assert result.chosen == result.scores.index(best), "the first of the best"
    assert result.answer == result.trajectories[result.chosen].answer
    assert result.trajectories[result.chosen].tool_calls == min(t.tool_calls for t in result.trajectories)
    check_cost(result)


def test_best_of_n_format_prefers_clean_trajectories_and_never_picks_no_answer(where_at):
    task, tools = where_at
    policy = ReplayPolicy(["garbage", answer("A"), answer("B"), "x", "y"])
    config = ScalingConfig(strategy="best_of_n", samples=3, verifier="format")
    result = run_scaled(starter(task, tools), policy, Budget(max_turns=1), config)
    assert [t.answer for t in result.trajectories] == ["A", "B", None]
    assert result.scores == [0.5, 1.0, -math.inf]
    assert result.chosen == 1 and result.answer == "B"


class JudgingReplay(ReplayPolicy):
    """Answers from ``replies``; as a judge says yes only to ``approve``."""

    def __init__(self, replies, approve: str, verdict: str = "yes"):
        super().__init__(replies)
        self.approve, self.verdict = approve, verdict
        self.judged: list[list[dict[str, Any]]] = []

    def generate(self, messages, tools):
        prompt = text_of(messages[-1])
        if "Is the answer supported by this evidence?" in prompt:
            self.judged.append(messages)
            said = self.verdict if f"final answer '{self.approve}'" in prompt else "no"
            return Generation(text=f"<think>checking</think><answer>{said}</answer>")
        return super().generate(messages, tools)


def test_best_of_n_with_the_judge(where_at):
    task, tools = where_at
    policy = JudgingReplay([call("detect_scenes"), answer("A"), answer("B"), answer("C")], approve="B")
    config = ScalingConfig(strategy="best_of_n", samples=3, verifier="judge")
    result = run_scaled(starter(task, tools), policy, Budget(), config)
    assert result.scores == [0.0, 1.0, 0.0] and result.chosen == 1 and result.answer == "B"
    assert len(policy.judged) == 3
    # the judge saw the first trajectory's tool results and the question
    first = policy.judged[0][0]["content"]
    assert any("scene" in b.get("text", "") for b in first[:-1]) and task.question in first[-1]["text"]


def test_judge_edge_cases(where_at):
    task, tools = where_at
    unanswered = EpisodeState(question="q", options=None, video="v", messages=[])
    assert judge(ReplayPolicy([]), unanswered) == 0.0
    answered = EpisodeState(question="q", options=None, video="v", messages=[], answer="A")
    assert judge(JudgingReplay([], approve="A", verdict="maybe"), answered) == 0.5
    assert judge(ReplayPolicy([RuntimeError("judge down")]), answered) == 0.5
    assert judge(JudgingReplay([], approve="A", verdict="Yes, clearly"), answered) == 1.0
    # at most max_images images of evidence, the latest ones
    episode = Episode.start(tools, task.question, None, Budget(max_frames=100), overview_frames=0)
    episode.step(call("crop_clip", start=0.0, end=10.0, num_frames=12))
    episode.step(answer("A"))
    policy = JudgingReplay([], approve="A")
    assert judge(policy, episode.state, max_images=5) == 1.0
    shown = [b for b in policy.judged[0][0]["content"] if b["type"] == "image"]
    kept = episode.state.steps[0]["calls"][0]["image_times"][-5:]
    assert [round(b["time"], 3) for b in shown] == kept


def test_adaptive_stops_early_when_k_agree(where_at):
    task, tools = where_at
    config = ScalingConfig(strategy="adaptive", samples=6, agree=2)
    result = run_scaled(starter(task, tools), Reseeded(0), Budget(), config)
    assert len(result.trajectories) == 2 < config.samples and result.cost["trajectories"] == 2
    assert result.votes[0].count == 2
    config = ScalingConfig(strategy="adaptive", samples=6, agree=3, round_size=2)
    result = run_scaled(starter(task, tools), Reseeded(0), Budget(), config)
    assert len(result.trajectories) == 4, "rounds of 2 until 3 agree"
    check_cost(result)


def test_adaptive_without_agreement_uses_all_samples_and_ties(where_at):
    task, tools = where_at
    policy = ReplayPolicy([answer(x) for x in "ABCD"])
    config = ScalingConfig(strategy="adaptive", samples=4, agree=2)
    result = run_scaled(starter(task, tools), policy, Budget(), config)
    assert len(result.trajectories) == 4 and result.tie and result.answer == "A" and result.chosen == 0


def test_adaptive_grow_frames_doubles_budget_and_overview(where_at):
    task, tools = where_at
    log: list = []
    policy = ReplayPolicy([answer(x) for x in "ABC"])
    config = ScalingConfig(strategy="adaptive", samples=3, agree=2, grow_frames=True)
    result = run_scaled(starter(task, tools, log, overview=2), policy, Budget(max_frames=4), config)
    assert log == [(4, 1), (8, 2), (16, 4)]
    overview = [sum(b["type"] == "image" for b in t.messages[1]["content"]) for t in result.trajectories]
    assert overview == [2, 4, 8]


def test_tie_from_a_replaying_policy(where_at):
    task, tools = where_at
    policy = ReplayPolicy([answer("A"), answer("B")])
    result = run_scaled(starter(task, tools), policy, Budget(), ScalingConfig(strategy="self_consistency", samples=2))
    assert result.tie and [v.count for v in result.votes] == [1, 1]
    assert result.answer == "A" and result.chosen == 0, "ties keep the first-seen answer"


def test_on_update_names_the_trajectory(where_at):
    task, tools = where_at
    seen = []
    policy = ReplayPolicy([answer("A"), answer("A")])
    run_scaled(starter(task, tools), policy, Budget(), ScalingConfig(strategy="self_consistency", samples=2),
               on_update=lambda index, node, update: seen.append((index, node)))
    assert seen == [(0, "policy"), (0, "act"), (1, "policy"), (1, "act")]


# ----------------------------------------------------------------------------- vote and answer_key
def test_vote_tie_and_majority():
    votes, tie = vote(["A", "B"], OPTIONS)
    assert tie and [(v.answer, v.count) for v in votes] == [("A", 1), ("B", 1)]
    votes, tie = vote(["A", "B", "(a) red", None], OPTIONS)
    assert not tie and (votes[0].answer, votes[0].count, votes[0].members) == ("A", 2, [0, 2])
    assert vote([None, None]) == ([], False)


@pytest.mark.parametrize(
    "same,options",
    [
        (["B", "(b)", "B) blue", "The answer is B", "blue", "b."], OPTIONS),
        (["5", "5.0", "05", " 5 "], None),
        (["[6.2, 8.2]", "6.3-8.1", "from 6.2s to 8.0s", "[[6.0, 8.0]]"], None),
        (["[0.41, 0.16, 0.50, 0.28]", "[0.412, 0.158, 0.505, 0.282]", "[0.40,0.15,0.52,0.30]"], None),
        (["Red car", "the red car!", "RED  CAR"], None),
    ],
    ids=["letters", "numbers", "spans", "boxes", "text"],
)
def test_equivalent_answers_form_one_cluster(same, options):
    votes, tie = vote(same, options)
    assert [v.count for v in votes] == [len(same)] and not tie and votes[0].answer == same[0]


@pytest.mark.parametrize(
    "different,options",
    [
        (["A", "B", "C"], OPTIONS),
        (["5", "6", "5.5"], None),
        (["[1.0, 2.0]", "[6.0, 8.0]", "[1.0, 8.0]"], None),  # IoU 1/7 and 2/7: below 0.5
        (["[0.1, 0.1, 0.2, 0.2]", "[0.5, 0.5, 0.9, 0.9]"], None),
        (["5", "[5, 6]", "five cats"], None),
    ],
    ids=["letters", "numbers", "spans", "boxes", "kinds"],
)
def test_different_answers_stay_apart(different, options):
    votes, _ = vote(different, options)
    assert len(votes) == len(different)


def test_answer_key_kinds():
    assert answer_key("The answer is (b)", ["red", "blue"]) == ("choice", "B")
    assert answer_key("green", OPTIONS) == ("choice", "C")
    assert answer_key("12") == ("number", 12.0)
    assert answer_key("[0.1, 0.2, 0.3, 0.4]") == ("box", (0.1, 0.2, 0.3, 0.4))
    assert answer_key("[12.0, 15.5]") == ("span", ((12.0, 15.5),))
    # two spans inside the first second are spans, not a box (both have three commas)
    assert answer_key("[[0.1, 0.2], [0.5, 0.9]]") == ("span", ((0.1, 0.2), (0.5, 0.9)))
    assert answer_key("A dog") == ("text", "dog")


def test_config_is_validated():
    for bad in ({"strategy": "beam"}, {"samples": 0}, {"verifier": "accuracy"}, {"agree": 0}):
        with pytest.raises(ValueError, match="choose one of|must be >= 1"):
            ScalingConfig(**bad)


def test_concurrent_policies_sample_trajectories_in_parallel(tmp_path):
    """A policy that takes concurrent requests gets its samples at once; results keep sample order."""
    import threading
    import time as clock

    from vagent.agent.episode import Budget, Episode, Generation
    from vagent.agent.scaling import ScalingConfig, run_scaled
    from vagent.env.synthetic import make_task
    from vagent.tools.index import IndexSettings
    from vagent.tools.registry import VideoTools

    task = make_task("count_cuts", 3, tmp_path, duration=6.0)
    tools = VideoTools.open(task.video, IndexSettings(clip_model="ViT-S-32", clip_pretrained=None, allow_random_clip=True,
                                                      cache_dir=tmp_path / "cache"))

    class SlowServer:
        name, include_schemas, concurrent = "slow-server", True, True

        def __init__(self):
            self.active = self.peak = self.calls = 0
            self.lock = threading.Lock()

        def generate(self, messages, tools):
            with self.lock:
                self.calls += 1
                number, self.active = self.calls, self.active + 1
                self.peak = max(self.peak, self.active)
            clock.sleep(0.2)
            with self.lock:
                self.active -= 1
            if len(messages) == 2:  # first turn: look, so tools run from several threads
                return Generation('<think>look</think><tool_call>{"name": "crop_clip", "arguments": {"start": 0, "end": 5, "num_frames": 2}}</tool_call>')
            return Generation(f"<think>done</think><answer>{number % 2}</answer>")

    policy = SlowServer()

    def start(budget, scale):
        return Episode.start(tools, task.question, None, budget, overview_frames=2)

    result = run_scaled(start, policy, Budget(max_turns=3), ScalingConfig(strategy="self_consistency", samples=4, parallel=4))
    assert policy.peak == 4  # all four trajectories were in flight at once
    assert len(result.trajectories) == 4 and all(t.end_reason == "answered" for t in result.trajectories)
    assert all(not call["error"] for t in result.trajectories for step in t.steps for call in step["calls"])
    serial = run_scaled(start, SlowServer(), Budget(max_turns=3), ScalingConfig(strategy="self_consistency", samples=2, parallel=1))
    assert len(serial.trajectories) == 2
