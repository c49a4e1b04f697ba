"""The episode budget in seconds of audio: listen windows and spoken search matches are counted like
frames, cut to what is left, and end the episode through the same answer-only turn, at inference, in
the plain and Gymnasium faces (VideoEnv) and in the TRL face. Subtitles are the timed text (no speech model)."""

import json

import numpy as np
import pytest

from vagent.agent.episode import Budget, Episode
from vagent.agent.protocol import ToolCall, render_tool_call
from vagent.env.environment import EnvConfig, VideoEnv
from vagent.env.synthetic_speech import write_talk_video
from vagent.env.tasks import Task
from vagent.faces.trl_dataset import training_dataset
from vagent.faces.trl_rollout import TRLRolloutEnv
from vagent.tools.index import IndexSettings
from vagent.tools.registry import VideoTools

SRT = ("1\n00:00:01,000 --> 00:00:03,000\nThe code word is tiger.\n\n"
       "2\n00:00:04,000 --> 00:00:06,000\nAgain, the code word is tiger.\n")


@pytest.fixture(scope="module")
def talk(tmp_path_factory):
    folder = tmp_path_factory.mktemp("budget")
    video = write_talk_video(folder / "talk.mp4", np.full((96, 128, 3), 80, np.uint8), None, 8.0)
    (folder / "talk.srt").write_text(SRT, encoding="utf-8")
    return video, IndexSettings(cache_dir=folder)  # no CLIP weights offline: visual search off, speech still searched


@pytest.fixture
def tools(talk):
    """The talk clip's tools, opened for one test and closed after it."""
    opened = VideoTools.open(*talk)
    yield opened
    opened.close()


def listen(start, end):
    return render_tool_call(ToolCall("listen", {"start": start, "end": end}))


def test_listen_is_counted_cut_to_what_is_left_and_ends_the_episode(tools):
    episode = Episode.start(tools, "What is the code word?", budget=Budget(max_audio_seconds=3.0), overview_frames=1)
    episode.step(listen(0.5, 2.5))
    assert episode.state.audio_seconds == 2.0 and episode.budget_left()["audio_seconds"] == 1.0
    assert not episode.state.final_turn
    result = episode.step(listen(3.0, 6.0))  # 3 s asked, 1 s left: 3.0-4.0 is heard
    heard = episode.state.messages[-1]
    assert heard["data"]["end"] == 4.0 and heard["data"]["audio_seconds"] == 1.0 and episode.state.audio_seconds == 3.0
    text = heard["content"][0]["text"] + heard["content"][-1]["text"]
    assert "Only the first 1.0s of the window heard" in text and "audio budget is used up" in text
    assert heard["budget_spent"] == "max_audio_seconds" and episode.state.final_turn and not result.done
    result = episode.step(listen(5.0, 6.0))  # a tool call in the answer-only turn ends it
    assert result.truncated and episode.state.end_reason == "max_audio_seconds" and episode.state.audio_seconds == 3.0


def test_spoken_search_matches_past_the_budget_are_not_shown(tools):
    unlimited = tools.call("search_clips", {"query": "code word tiger"})
    assert [row[:2] for row in unlimited.data["said"]] == [[1.0, 3.0], [4.0, 6.0]] and unlimited.data["audio_seconds"] == 4.0
    episode = Episode.start(tools, "q?", budget=Budget(max_audio_seconds=3.0), overview_frames=1)
    episode.step(render_tool_call(ToolCall("search_clips", {"query": "code word tiger"})))
    shown = episode.state.messages[-1]
    assert shown["data"]["said"] == unlimited.data["said"][:1] and episode.state.audio_seconds == 2.0
    assert "said 1. 1.00s-3.00s" in shown["content"][0]["text"] and "said 2." not in shown["content"][0]["text"]
    assert "Only 1 spoken match(es) shown" in shown["content"][0]["text"]
    episode.step(listen(0.0, 4.0))  # cut to the 1 s left: the budget is spent
    assert episode.state.audio_seconds == 3.0 and episode.exhausted() == "max_audio_seconds"


def test_every_call_after_the_audio_budget_in_the_same_turn_is_refused(tools):
    episode = Episode.start(tools, "q?", budget=Budget(max_audio_seconds=2.0), overview_frames=1)
    episode.step(listen(0.0, 2.0) + render_tool_call(ToolCall("detect_scenes", {})))
    refused = episode.state.messages[-1]
    assert refused["error"] and "Audio budget exhausted" in refused["content"][0]["text"]
    assert episode.state.tool_calls == 2 and episode.state.final_turn


@pytest.mark.parametrize("bad", [0, -1.0, float("inf"), True, "3"])
def test_a_bad_audio_budget_is_refused(bad):
    with pytest.raises(ValueError, match="max_audio_seconds"):
        Budget(max_audio_seconds=bad)


def test_the_env_config_budget_reaches_the_plain_and_trl_faces(talk):
    video, settings = talk
    task = Task(id="talk", video=str(video), question="What is the code word?", answer_type="text", answer="tiger")
    config = EnvConfig(budget=Budget(max_audio_seconds=1.5), index=settings, overview_frames=1)
    env = VideoEnv(config)  # the plain face (the Gymnasium face steps a VideoEnv)
    env.reset(task)
    messages, _, terminated, truncated, _ = env.step(listen(0.0, 4.0))
    assert messages[-1]["data"]["end"] == 1.5 and messages[-1]["budget_spent"] == "max_audio_seconds"
    _, _, terminated, truncated, info = env.step(listen(0.0, 1.0))
    assert truncated and not terminated and info["end_reason"] == "max_audio_seconds"

    trl = TRLRolloutEnv(config)
    trl.reset(**training_dataset([task])[0])
    trl._next_turn()
    blocks = trl.listen(start=1.0, end=3.0)
    assert "Only the first 1.5s of the window heard" in blocks[0]["text"] and "audio budget is used up" in blocks[-1]["text"]
    assert trl.episode.state.audio_seconds == 1.5
    assert json.loads(json.dumps(trl.episode.to_dict()))["audio_seconds"] == 1.5  # the trace keeps it


@pytest.mark.slow  # a tool worker process starts
def test_listen_in_a_tool_worker_gives_the_in_process_episode(talk, monkeypatch):
    """listen and spoken search in a worker process (tools/workers.py) under the audio budget: the same
    episode as in-process; the speech settings travel with the index settings (the worker inherits
    $VAGENT_SPEECH=off, the settings say subtitles)."""
    from dataclasses import asdict, replace

    from vagent.tools.timed_text import SpeechSettings
    from vagent.tools.workers import ToolPool

    video, settings = talk
    monkeypatch.setenv("VAGENT_SPEECH", "off")
    settings = replace(settings, speech=SpeechSettings(source="subtitles"))
    turns = [render_tool_call(ToolCall("search_clips", {"query": "code word"})) + listen(0.0, 1.5), listen(3.5, 8.0), listen(0.0, 1.0)]
    with ToolPool(1, call_timeout_s=60) as pool:
        states = []
        for tools in (VideoTools.open(video, settings), pool.tools(video, settings)):
            episode = Episode.start(tools, "What is the code word?", budget=Budget(max_audio_seconds=4.0), overview_frames=1)
            for text in turns:
                if not episode.done:
                    episode.step(text)
            state = asdict(episode.state)
            state.pop("started_at")
            for step in state["steps"]:
                step.pop("policy_seconds"), step.pop("tool_seconds")
                for record in step["calls"]:
                    record.pop("seconds")
            states.append(state)
    assert states[0] == states[1]
    assert states[0]["audio_seconds"] == 4.0 and states[0]["end_reason"] == "max_audio_seconds"
    assert "The code word is tiger." in str(states[0]["messages"])
