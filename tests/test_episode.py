"""Episode: malformed model text is corrected, not fatal; every budget ends with an answer-only turn.

``ReplayPolicy`` (a scripted fake in the spirit of LangGraph's ``FakeToolCallingModel``) and the
helpers here are shared with tests/test_graph.py and tests/test_scaling.py.
"""

from __future__ import annotations

import json
import time
from pathlib import Path
from typing import Any

import pytest

from vagent.agent.episode import Budget, Episode, Generation
from vagent.agent.protocol import render_tool_call, ToolCall
from vagent.env.synthetic import make_task
from vagent.tools.index import IndexSettings
from vagent.tools.registry import VideoTools

RANDOM_CLIP = IndexSettings(clip_model="ViT-S-32", clip_pretrained=None, allow_random_clip=True)


def call(name: str, **arguments: Any) -> str:
    """Model text for one well-formed tool call."""
    return render_tool_call(ToolCall(name, arguments))


def answer(text: str) -> str:
    return f"<think>done</think><answer>{text}</answer>"


class ReplayPolicy:
    """Replays ``replies`` in order (a str is the model text; an exception is raised instead).

    Records what it was shown: ``seen[i]`` is the conversation length and the last message of
    call ``i``. Raises ``AssertionError`` when asked for more turns than scripted.
    """

    name = "replay"
    include_schemas = True

    def __init__(self, replies: list[Any], delay: float = 0.0):
        self.replies = list(replies)
        self.delay = delay
        self.seen: list[tuple[int, dict[str, Any]]] = []

    def generate(self, messages: list[dict[str, Any]], tools: list[dict[str, Any]]) -> Generation:
        self.seen.append((len(messages), messages[-1]))
        if not self.replies:
            raise AssertionError(f"ReplayPolicy: no reply scripted for call {len(self.seen)}")
        reply = self.replies.pop(0)
        if isinstance(reply, BaseException):
            raise reply
        if callable(reply):
            reply = reply(messages)
        if self.delay:
            time.sleep(self.delay)
        return Generation(text=reply, prompt_tokens=10, completion_tokens=len(reply.split()))


def text_of(message: dict[str, Any]) -> str:
    content = message["content"]
    if isinstance(content, str):
        return content
    return "\n".join(block.get("text", "") for block in content if block.get("type") == "text")


@pytest.fixture(scope="session")
def synthetic_video(tmp_path_factory) -> Path:
    """A 12 s count_cuts video (256x192, 10 fps)."""
    return Path(make_task("count_cuts", 1, tmp_path_factory.mktemp("episode-video"), variant="number").video)


@pytest.fixture(scope="session")
def tools(synthetic_video) -> VideoTools:
    opened = VideoTools.open(synthetic_video, RANDOM_CLIP)
    yield opened
    opened.close()


def start(tools: VideoTools, **budget: Any) -> Episode:
    return Episode.start(tools, "How many scene cuts are there?", None, Budget(**budget), overview_frames=2)


# Each malformed output and (a fragment of) what the model must be told.
MALFORMED = {
    "broken_json": ('<tool_call>{"name": "detect_scenes", "arguments": {</tool_call>', "not valid JSON"),
    "unknown_tool": ('<tool_call>{"name": "teleport", "arguments": {}}</tool_call>', 'unknown tool "teleport" (available: crop_clip'),
    "several_answers": ("<answer>3</answer><answer>4</answer>", "several <answer> blocks"),
    "unclosed_answer": ("<think>ok</think><answer>3", "<answer> without a matching </answer>"),
    "unclosed_call": ('<tool_call>{"name": "detect_scenes", "arguments": {}}', "<tool_call> without a matching </tool_call>"),
    "unclosed_think": ("<think>still thinking", "<think> is never closed"),
    "empty": ("", "empty output"),
    "whitespace": ("  \n ", "empty output"),
    "call_and_answer": (call("detect_scenes") + "<answer>3</answer>", "both tool calls and an answer"),
    "prose": ("I believe there are 3 cuts.", "no <tool_call> and no <answer>"),
    "empty_answer": ("<answer> </answer>", "the <answer> block is empty"),
    "arguments_not_object": ('<tool_call>{"name": "crop_clip", "arguments": [1, 2]}</tool_call>', "must be a JSON object"),
}

# Well-formed calls with arguments the tool rejects: the tool's error goes back as a tool message.
BAD_ARGUMENTS = {
    "time_out_of_range": (call("zoom_frame", time=999.0, box=[0, 0, 0.5, 0.5]), "outside the video (0.00s-12.00s)"),
    "negative_time": (call("crop_clip", start=-5.0, end=2.0), "outside the video"),
    "inverted_box": (call("zoom_frame", time=1.0, box=[0.6, 0.6, 0.2, 0.2]), "empty or inverted"),
    "box_out_of_unit": (call("read_text", time=1.0, box=[0, 0, 2, 2]), "must lie within 0..1"),
    "missing_argument": (call("crop_clip", start=1.0), "missing argument(s) end"),
    "extra_argument": (call("detect_scenes", threshold=3), "unexpected argument(s) threshold"),
    "wrong_type": (call("crop_clip", start="soon", end=2.0), "start must be a number"),
}


@pytest.mark.parametrize("kind", sorted(MALFORMED))
def test_malformed_output_is_corrected_and_the_episode_recovers(tools, kind):
    text, problem = MALFORMED[kind]
    episode = start(tools, max_turns=4)
    result = episode.step(text)
    assert result.action.kind == "invalid" and not result.done and not result.truncated
    [observation] = result.observations
    assert observation.error and problem in observation.text
    told = episode.state.messages[-1]
    assert told["role"] == "user" and problem in text_of(told) and "could not be used" in text_of(told)
    assert episode.state.tool_calls == 0 and episode.state.steps[-1]["action"]["errors"]
    # a later valid turn works, then the answer ends the episode
    result = episode.step(call("detect_scenes"))
    assert result.action.kind == "tool_calls" and not result.observations[0].error
    assert episode.state.messages[-1]["role"] == "tool" and "scene" in text_of(episode.state.messages[-1])
    result = episode.step(answer("3"))
    assert result.done and not result.truncated
    assert episode.state.end_reason == "answered" and episode.state.answer == "3" and episode.state.turns == 3


@pytest.mark.parametrize("kind", sorted(BAD_ARGUMENTS))
def test_bad_tool_arguments_become_error_observations(tools, kind):
    text, problem = BAD_ARGUMENTS[kind]
    episode = start(tools)
    result = episode.step(text)
    assert result.action.kind == "tool_calls" and not result.done
    [observation] = result.observations
    assert observation.error and problem in observation.text and not observation.images
    message = episode.state.messages[-1]
    assert message["role"] == "tool" and problem in text_of(message)
    record = episode.state.steps[-1]["calls"][0]
    assert record["error"] is True and record["image_times"] == []
    assert episode.state.tool_calls == 1 and episode.state.frames_shown == 0
    result = episode.step(call("zoom_frame", time=1.0, box=[0.1, 0.1, 0.9, 0.9]))
    assert not result.observations[0].error and len(result.observations[0].images) == 1


def test_recovers_from_every_malformed_kind_in_one_episode(tools):
    episode = start(tools, max_turns=len(MALFORMED) + len(BAD_ARGUMENTS) + 2)
    for text, _ in [*MALFORMED.values(), *BAD_ARGUMENTS.values()]:
        assert not episode.step(text).done
    assert episode.step(answer("4")).done and episode.state.end_reason == "answered"
    kinds = [step["action"]["kind"] for step in episode.state.steps]
    assert kinds.count("invalid") == len(MALFORMED) and kinds[-1] == "answer"


def test_max_turns_gives_one_answer_only_turn_then_truncates(tools):
    episode = start(tools, max_turns=2)
    assert not episode.step(call("detect_scenes")).done
    result = episode.step(call("detect_scenes"))
    assert not result.done and episode.state.final_turn
    assert episode.state.steps[-1]["budget_reason"] == "max_turns"
    assert "turn budget is used up" in text_of(episode.state.messages[-1])
    assert episode.budget_left()["turns"] == 0
    # tool calls on the final turn are not run; the episode ends with the budget as its reason
    result = episode.step(call("crop_clip", start=0.0, end=2.0))
    assert result.done and result.truncated and result.observations == []
    assert episode.state.end_reason == "max_turns" and episode.state.answer is None
    assert episode.state.tool_calls == 2 and episode.state.turns == 3
    with pytest.raises(RuntimeError, match="episode is over"):
        episode.step(answer("1"))


@pytest.mark.parametrize("last", [answer("5"), "garbage", ""])
def test_final_turn_answer_terminates_anything_else_truncates(tools, last):
    episode = start(tools, max_turns=1)
    episode.step(call("detect_scenes"))
    result = episode.step(last)
    assert result.done
    if last == answer("5"):
        assert episode.state.end_reason == "answered" and not result.truncated and episode.state.answer == "5"
    else:
        assert episode.state.end_reason == "max_turns" and result.truncated


def test_max_frames_truncates_images_then_forces_an_answer(tools):
    episode = start(tools, max_frames=3, max_turns=8)
    result = episode.step(call("crop_clip", start=0.0, end=6.0, num_frames=8))
    [observation] = result.observations
    assert len(observation.images) == 3 and "Only 3 image(s) shown" in observation.text
    assert episode.state.frames_shown == 3 and episode.state.final_turn
    assert episode.state.steps[-1]["budget_reason"] == "max_frames"
    assert "frame budget is used up" in text_of(episode.state.messages[-1])
    assert len(episode.state.steps[-1]["calls"][0]["image_times"]) == 3
    result = episode.step(call("zoom_frame", time=1.0, box=[0, 0, 1, 1]))
    assert result.truncated and episode.state.end_reason == "max_frames" and episode.state.frames_shown == 3


def test_second_call_in_a_turn_sees_the_frame_budget_spent(tools):
    episode = start(tools, max_frames=2)
    result = episode.step(call("crop_clip", start=0.0, end=4.0, num_frames=2) + call("zoom_frame", time=1.0, box=[0, 0, 1, 1]))
    first, second = result.observations
    assert len(first.images) == 2 and not first.error
    assert second.error and "Frame budget exhausted" in second.text and not second.images
    assert episode.state.frames_shown == 2 and episode.state.tool_calls == 2 and episode.state.final_turn


def test_overview_frames_do_not_count_against_the_frame_budget(tools):
    episode = Episode.start(tools, "q?", None, Budget(max_frames=2), overview_frames=6)
    assert episode.state.frames_shown == 0 and episode.budget_left()["frames"] == 2
    images = [b for b in episode.state.messages[1]["content"] if b["type"] == "image"]
    assert len(images) == 6


def test_max_seconds(tools):
    episode = start(tools, max_seconds=30.0)
    assert 0 < episode.budget_left()["seconds"] <= 30.0
    assert not episode.step(call("detect_scenes")).done
    episode.state.started_at -= 60  # as if the tools had taken a minute
    result = episode.step(call("detect_scenes"))
    assert not result.done and episode.state.steps[-1]["budget_reason"] == "max_seconds"
    assert "time budget is used up" in text_of(episode.state.messages[-1])
    result = episode.step("no answer")
    assert result.truncated and episode.state.end_reason == "max_seconds"


def test_abort_ends_with_error(tools):
    episode = start(tools)
    episode.abort("policy failed: boom")
    assert episode.done and episode.state.end_reason == "error" and episode.state.error == "policy failed: boom"


def test_state_is_json_and_round_trips(tools):
    episode = start(tools, max_turns=5)
    episode.step(call("crop_clip", start=1.0, end=3.0, num_frames=2))
    episode.step(MALFORMED["broken_json"][0])
    data = json.loads(json.dumps(episode.to_dict()))
    resumed = Episode.from_dict(data, tools, episode.budget)
    assert resumed.to_dict() == episode.to_dict()
    resumed.step(answer("2"))
    assert resumed.state.end_reason == "answered" and resumed.state.turns == 3


def test_from_dict_does_not_mutate_its_input(tools):
    # the graph's act node resumes from the previous state dict, which streaming callers keep
    data = start(tools).to_dict()
    resumed = Episode.from_dict(data, tools)
    resumed.step(call("detect_scenes"))
    assert len(data["messages"]) == 2 and data["steps"] == [] and data["turns"] == 0


def test_step_records_generation_and_timing(tools):
    episode = start(tools)
    episode.step(call("detect_scenes"), Generation(text="", prompt_tokens=7, completion_tokens=3, seconds=0.25))
    record = episode.state.steps[0]
    assert (record["prompt_tokens"], record["completion_tokens"], record["policy_seconds"]) == (7, 3, 0.25)
    assert record["tool_seconds"] >= record["calls"][0]["seconds"] >= 0
    assert record["budget_left"]["turns"] == episode.budget.max_turns - 1


@pytest.mark.parametrize("limits", [{"max_turns": 0}, {"max_turns": -1}, {"max_frames": 0}, {"max_turns": 1.5},
                                    {"max_turns": True}, {"max_seconds": 0}, {"max_seconds": float("nan")}])
def test_a_budget_that_allows_nothing_is_refused_with_its_rule(limits):
    """Through the library (env API, training configs), not only the CLI: a budget of 0 turns
    would end every episode before the model speaks."""
    with pytest.raises(ValueError, match=f"Budget.{next(iter(limits))} must be"):
        Budget(**limits)


def test_more_options_than_letters_are_refused(tools):
    with pytest.raises(ValueError, match="27 options: at most 26"):
        Episode.start(tools, "Which?", [f"choice {i}" for i in range(27)])
    assert Episode.start(tools, "Which?", [f"choice {i}" for i in range(26)], overview_frames=0).state.options
