"""tools/workers.py: tool calls in spawned worker processes give what in-process calls give, at once,
and a worker that dies or hangs mid-call is an error observation and a fresh worker, never a hang."""

from __future__ import annotations

import os
import signal
import time
from dataclasses import asdict, replace

import pytest

from tests.test_episode import answer, call
from vagent.agent.episode import Budget, Episode
from vagent.agent.protocol import ToolCall, render_tool_call
from vagent.env.rewards import score
from vagent.env.tasks import Task
from vagent.tools.index import IndexSettings
from vagent.tools.registry import VideoTools
from vagent.tools.workers import ToolPool, default_tool_workers

pytestmark = pytest.mark.slow  # worker processes start (spawn) and load OCR and CLIP


@pytest.fixture(scope="module")
def settings(tmp_path_factory):
    return IndexSettings(clip_model="ViT-S-32", clip_pretrained=None, allow_random_clip=True,
                         cache_dir=tmp_path_factory.mktemp("cache"))


@pytest.fixture(scope="module")
def pool():
    with ToolPool(2, call_timeout_s=60) as pool:
        yield pool


def turns(duration: float) -> list[str]:
    """Model turns that use all five tools (several calls in one turn), then failing calls, then
    more frames than the budget allows, then a call in the answer-only final turn."""
    several = "".join(render_tool_call(ToolCall(name, arguments)) for name, arguments in [
        ("crop_clip", {"start": 0.0, "end": duration / 2, "num_frames": 8}),
        ("zoom_frame", {"time": 1.0, "box": [0.1, 0.2, 0.7, 0.8]}),
        ("read_text", {"time": 1.5}),
        ("read_text", {"time": 2.0, "box": [0.0, 0.2, 1.0, 0.6]}),
        ("search_clips", {"query": "a white band with letters", "top_k": 3}),
        ("detect_scenes", {}),
    ])
    failing = "".join(render_tool_call(ToolCall(name, arguments)) for name, arguments in [
        ("crop_clip", {"start": 2.0, "end": 1.0}),
        ("zoom_frame", {"time": duration + 50, "box": [0.1, 0.1, 0.5, 0.5]}),
        ("read_text", {"time": 1.0, "box": [0.5, 0.5, 0.4, 0.9]}),
        ("search_clips", {"query": "   "}),
        ("crop_clip", {"start": 0, "end": 1, "num_frames": "eight"}),
    ])
    return [several, failing, call("crop_clip", start=0.0, end=duration, num_frames=8) * 2,
            call("detect_scenes"), answer("B")]


def comparable(episode: Episode) -> dict:
    """The episode state without wall-clock fields."""
    state = asdict(episode.state)
    state.pop("started_at")
    for step in state["steps"]:
        for key in ("policy_seconds", "tool_seconds"):
            step.pop(key, None)
        for record in step["calls"]:
            record.pop("seconds")
    return state


def test_pool_gives_the_in_process_episode_for_all_five_tools_failures_and_budget_ends(pool, settings, text_video):
    local = VideoTools.open(text_video.path, settings)
    pooled = pool.tools(text_video.path, settings)
    assert pooled.video.info == local.video.info and pooled.schemas() == local.schemas()
    budget = Budget(max_turns=6, max_frames=20)
    episodes = [Episode.start(tools, "What is written?", ["A) BYE", "B) HELLO"], budget) for tools in (local, pooled)]
    for text in turns(local.video.info.duration):
        for episode in episodes:
            if not episode.done:
                episode.step(text)
    in_process, in_pool = (comparable(e) for e in episodes)
    assert in_pool == in_process
    calls = [c for step in in_process["steps"] for c in step["calls"]]
    assert {c["tool"] for c in calls} >= {"crop_clip", "zoom_frame", "read_text", "search_clips", "detect_scenes"}
    assert sum(bool(c["error"]) for c in calls) >= 6  # the failing turn, and the call past the frame budget
    assert "HELLO" in str(in_process["messages"])  # read_text really read the frame
    assert in_process["end_reason"] == "max_frames" and in_process["steps"][2]["budget_reason"] == "max_frames"
    task = Task(id="t", video=str(text_video.path), question="What is written?", options=["A) BYE", "B) HELLO"],
                answer="B", answer_type="choice")
    assert score(episodes[1].state, task) == score(episodes[0].state, task)
    assert pool.max_in_flight >= 2  # the six calls of the first turn ran at once
    local.close()


def test_calls_on_two_videos_run_at_once_and_match(pool, settings, text_video, scene_video):
    videos = [VideoTools.open(v.path, settings) for v in (text_video, scene_video)]
    pooled = [pool.tools(v.path, settings) for v in (text_video, scene_video)]
    jobs = [(i, "crop_clip", {"start": 0.0, "end": 2.5, "num_frames": 8}) for i in (0, 1)] * 3
    futures = [pooled[i].submit(name, arguments) for i, name, arguments in jobs]
    jobs.append((0, "no_such_tool", {}))
    futures.append(pooled[0].submit("no_such_tool", {}))
    for (i, name, arguments), future in zip(jobs, futures):
        got, want = future.result(), videos[i].call(name, arguments)
        assert (got.text, got.data, [im.image.tobytes() for im in got.images]) == \
            (want.text, want.data, [im.image.tobytes() for im in want.images])
    for tools in videos:
        tools.close()


def _wait_in_flight(pool: ToolPool, timeout: float = 30.0, started: bool = False) -> None:
    """Until a call is taken by a worker (``started``: until the worker says it began it, so the call
    timeout, not the open timeout, is the one running)."""
    deadline = time.monotonic() + timeout
    while (pool.running if started else pool.in_flight) == 0:
        assert time.monotonic() < deadline, "the call never started"
        time.sleep(0.001)


def test_a_worker_killed_mid_call_is_an_error_observation_and_the_episode_goes_on(settings, text_video):
    with ToolPool(1, call_timeout_s=60) as pool:
        tools = pool.tools(text_video.path, settings)
        episode = Episode.start(tools, "What is written?", None, Budget(max_turns=4))
        future = tools.submit("read_text", {"time": 1.0})  # the worker's first read loads the OCR engine
        _wait_in_flight(pool)
        os.kill(pool.worker_pids()[0], signal.SIGKILL)
        killed = future.result(timeout=30)
        assert killed.error and "read_text failed: its tool worker stopped (exit code -9)" in killed.text
        assert pool.restarts == 1
        episode.step(call("read_text", time=1.0))
        assert "HELLO" in episode.state.messages[-1]["content"][0]["text"]
        episode.step(answer("HELLO"))
        assert episode.state.end_reason == "answered"


def test_a_hung_worker_is_replaced_after_the_timeout(settings, text_video, tmp_path):
    settings = replace(settings, cache_dir=tmp_path)  # no text read cached by another test: OCR runs
    with ToolPool(1, call_timeout_s=60) as pool:
        tools = pool.tools(text_video.path, settings)
        assert not tools.call("zoom_frame", {"time": 1.0, "box": [0, 0, 1, 1]}).error  # started, imports done
        pool.call_timeout_s = 5
        future = tools.submit("read_text", {"time": 1.0})  # OCR (its model loads on first use): long enough to stop it mid-call
        _wait_in_flight(pool, started=True)  # stopped before saying "started", the open timeout (30 min) would run
        os.kill(pool.worker_pids()[0], signal.SIGSTOP)  # alive but never answers
        started = time.monotonic()
        hung = future.result(timeout=30)
        assert hung.error and "did not finish within 5 s" in hung.text and time.monotonic() - started < 20
        pool.call_timeout_s = 60  # the new worker's first call pays its first-use costs
        assert not tools.call("crop_clip", {"start": 0.0, "end": 2.0}).error and pool.restarts == 1


def test_opening_a_missing_video_raises_the_in_process_error(pool, settings, tmp_path):
    from vagent.errors import VideoError

    with pytest.raises(VideoError, match="video file not found") as caught:
        pool.tools(tmp_path / "missing.mp4", settings)
    assert caught.value.kind == "missing"


def test_settings_are_checked(monkeypatch):
    monkeypatch.delenv("VAGENT_TOOL_WORKERS", raising=False)
    assert 1 <= default_tool_workers() <= 8
    monkeypatch.setenv("VAGENT_TOOL_WORKERS", "3")
    assert default_tool_workers() == 3
    monkeypatch.setenv("VAGENT_TOOL_WORKERS", "many")
    with pytest.raises(ValueError, match="VAGENT_TOOL_WORKERS must be a whole number"):
        default_tool_workers()
    with pytest.raises(ValueError, match="tool_workers=0 means in-process"):
        ToolPool(0)
