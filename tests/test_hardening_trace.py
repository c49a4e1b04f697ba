"""Traces keep whatever the model wrote, even text UTF-8 cannot encode, and a failed write leaves nothing."""

import json

import pytest

from vagent.agent.episode import EpisodeState
from vagent.agent.protocol import parse_action
from vagent.agent.trace import Trace


def _episode(text: str) -> EpisodeState:
    return EpisodeState(question="which? \ud800", options=None, video="v.mp4",
                        messages=[{"role": "user", "content": "q"}, {"role": "assistant", "content": text}],
                        steps=[{"action": parse_action(text).to_dict(), "message_index": 1, "turn": 1, "policy_seconds": 0.1,
                                "prompt_tokens": 3, "completion_tokens": 4}], answer="B")


def test_lone_surrogates_from_model_json_round_trip(tmp_path):
    text = '<tool_call>{"name": "search_clips", "arguments": {"query": "\\ud800 dog"}}</tool_call>'
    action = parse_action(text)
    assert action.tool_calls[0].arguments["query"] == "\ud800 dog"  # valid JSON, not encodable as UTF-8
    trace = Trace([_episode(text)], answer="B", meta={"question": "which? \ud800"})
    path = trace.save(tmp_path / "t.jsonl")
    json.loads(path.read_text(encoding="utf-8").splitlines()[1])
    loaded = Trace.load(path)
    assert loaded.episodes[0].steps[0]["action"]["tool_calls"][0]["arguments"]["query"] == "\ud800 dog"
    assert loaded.episodes[0].question == "which? \ud800" and loaded.meta["question"] == "which? \ud800"
    assert "search_clips" in trace.render_html(tmp_path / "t.html").read_text(encoding="utf-8")


def test_a_failed_write_leaves_no_temporary_file(tmp_path):
    trace = Trace([_episode("<answer>B</answer>")], answer="B", meta={"bad": {1, 2}})  # a set is not JSON
    with pytest.raises(TypeError):
        trace.save(tmp_path / "t.jsonl")
    assert list(tmp_path.iterdir()) == []
