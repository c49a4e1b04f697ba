"""The one parser: every malformed kind becomes an error, never an exception."""

import json

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from vagent.agent.protocol import ToolCall, correction_message, parse_action, render_action

TOOLS = ("search_clips", "detect_scenes", "zoom_frame", "crop_clip", "read_text")


def test_answer_with_think():
    action = parse_action("<think>the sign says B</think>\n<answer> B </answer>", TOOLS)
    assert action.kind == "answer"
    assert action.answer == "B"
    assert action.think == "the sign says B"
    assert action.errors == []


def test_several_tool_calls_in_order():
    text = (
        '<think>look</think><tool_call>{"name": "detect_scenes", "arguments": {}}</tool_call>'
        '<tool_call>{"name": "zoom_frame", "arguments": {"time": 3.5, "box": [0, 0, 0.5, 0.5]}}</tool_call>'
    )
    action = parse_action(text, TOOLS)
    assert action.kind == "tool_calls"
    assert action.tool_calls == [
        ToolCall("detect_scenes", {}),
        ToolCall("zoom_frame", {"time": 3.5, "box": [0, 0, 0.5, 0.5]}),
    ]


def test_arguments_given_as_json_string_are_accepted():
    text = '<tool_call>{"name": "crop_clip", "arguments": "{\\"start\\": 1, \\"end\\": 2}"}</tool_call>'
    assert parse_action(text, TOOLS).tool_calls == [ToolCall("crop_clip", {"start": 1, "end": 2})]


def test_prefilled_think_without_opening_tag():
    action = parse_action("I should answer</think><answer>A</answer>")
    assert action.think == "I should answer"
    assert action.answer == "A"


@pytest.mark.parametrize(
    "text, expected",
    [
        ("", "empty output"),
        ("   \n", "empty output"),
        ('<tool_call>{"name": "detect_scenes", "arguments": {}</tool_call>', "not valid JSON"),
        ('<tool_call>{"name": "fly_drone", "arguments": {}}</tool_call>', 'unknown tool "fly_drone"'),
        ("<answer>A</answer><answer>B</answer>", "several <answer>"),
        ("<answer>A", "<answer> without a matching </answer>"),
        ('<tool_call>{"name": "detect_scenes"}', "<tool_call> without a matching </tool_call>"),
        ("<think>hmm", "<think> is never closed"),
        ("<answer>  </answer>", "empty"),
        ("just some prose", "no <tool_call> and no <answer>"),
        ('<tool_call>["detect_scenes"]</tool_call>', "must be a JSON object"),
        ('<tool_call>{"arguments": {}}</tool_call>', 'no "name"'),
        ('<tool_call>{"name": "crop_clip", "arguments": [1, 2]}</tool_call>', "must be a JSON object"),
        ('<tool_call>{"name": "detect_scenes", "arguments": {}}</tool_call><answer>A</answer>', "both tool calls and an answer"),
    ],
)
def test_malformed_outputs_become_errors(text, expected):
    action = parse_action(text, TOOLS)
    assert action.kind == "invalid"
    assert any(expected in error for error in action.errors), action.errors
    message = correction_message(action, TOOLS)
    assert "could not be used" in message and "detect_scenes" in message


def test_render_then_parse_round_trip():
    calls = [ToolCall("crop_clip", {"start": 1.0, "end": 4.0, "num_frames": 4})]
    assert parse_action(render_action("why", calls), TOOLS).tool_calls == calls
    assert parse_action(render_action("why", answer="[1.0, 2.0]"), TOOLS).answer == "[1.0, 2.0]"


def test_action_dict_is_json():
    action = parse_action('<tool_call>{"name": "detect_scenes", "arguments": {}}</tool_call>', TOOLS)
    assert json.loads(json.dumps(action.to_dict()))["kind"] == "tool_calls"


fragments = st.sampled_from(
    ["<think>", "</think>", "<tool_call>", "</tool_call>", "<answer>", "</answer>", "{", "}", '"name"', ":", '"arguments"',
     '"detect_scenes"', "[", "]", "null", "1e999", '"\\ud800"', ","]
)


@settings(max_examples=300, deadline=None)
@given(st.lists(st.one_of(fragments, st.text(max_size=12)), max_size=30))
def test_parser_never_raises(parts):
    action = parse_action("".join(parts), TOOLS)
    assert action.kind in ("answer", "tool_calls", "invalid")
    assert (action.kind == "invalid") == bool(action.errors)
    json.dumps(action.to_dict())


@settings(max_examples=100, deadline=None)
@given(st.one_of(st.none(), st.integers(), st.binary()))
def test_parser_accepts_non_text(value):
    assert parse_action(value).kind == "invalid"
