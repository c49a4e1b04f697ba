"""Fuzzing the one parser: it never raises, and its time grows linearly with the output's length.

Degenerate models (repetition during RL) write hundreds of kilobytes of unclosed tags; the parser
runs on every step of every rollout. Time bounds are generous (about 25x the measured cost on a
busy 2-core machine) so they flag quadratic behaviour, not a slow machine: the old regex parser
took 2 s for 5,000 unclosed ``<think>`` tags (35 KB) and 100-150 s for 50,000.
"""

import json
import time

import pytest
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from vagent.agent.protocol import MAX_ERRORS, MAX_NESTING, correction_message, parse_action

TOOLS = ("crop_clip", "detect_scenes", "read_text", "search_clips", "zoom_frame")
SECONDS_PER_KB = 0.005
"""Allowed parse time per KB of output (measured: about 0.0002 s/KB)."""
FIXED_SECONDS = 0.05


def _parse_timed(text):
    started = time.perf_counter()
    action = parse_action(text, TOOLS)
    return action, time.perf_counter() - started


def _check(text):
    action, seconds = _parse_timed(text)
    assert action.kind in ("answer", "tool_calls", "invalid")
    assert (action.kind == "invalid") == bool(action.errors)
    assert len(action.errors) <= MAX_ERRORS + 1
    json.dumps(action.to_dict())
    correction_message(action, TOOLS)
    kb = len(text) / 1000
    assert seconds <= FIXED_SECONDS + SECONDS_PER_KB * kb, f"{seconds:.3f}s for {kb:.0f} KB"
    return action


TAGS = ["<think>", "</think>", "<tool_call>", "</tool_call>", "<answer>", "</answer>"]
PIECES = TAGS + [
    '{"name": "detect_scenes", "arguments": {}}', '{"name": "zoom_frame", "arguments": {"time": 1, "box": [0, 0, 1, 1]}}',
    '{"name": "crop_clip", "arguments": "{\\"start\\": 1}"}', "{", "}", "[", "]", '"', "\\", ":", ",", "null", "1e999",
    "-0", "NaN", '"\\ud800"', "9" * 5000, "[" * 3000, "]" * 3000, "A", " ", "\n", "<", ">", "</", "<think", "tool_call>",
]
pieces = st.one_of(st.sampled_from(PIECES), st.text(max_size=20))
def _repeat(unit: str, times: int) -> str:
    """``unit`` repeated ``times`` times, at most about 1 MB."""
    return unit * min(times, 1_000_000 // max(1, len(unit)))


repeated = st.tuples(st.lists(pieces, min_size=1, max_size=4).map("".join), st.integers(1, 50_000)).map(lambda pair: _repeat(*pair))
outputs = st.lists(st.one_of(pieces, repeated), max_size=12).map("".join)


@settings(max_examples=200, deadline=None, suppress_health_check=[HealthCheck.too_slow, HealthCheck.data_too_large])
@given(outputs)
def test_parser_never_raises_and_is_linear_on_adversarial_outputs(text):
    _check(text)


@pytest.mark.parametrize("tag", TAGS)
def test_fifty_thousand_unclosed_tags(tag):
    action = _check(tag * 50_000)
    assert action.kind == "invalid"


def test_one_megabyte_with_a_thousand_unclosed_tags():
    filler = "the model repeats itself " * 40  # 1 KB
    text = "".join(f"{TAGS[i % 6]}{filler}" for i in range(1000))
    assert len(text) > 1_000_000
    _check(text)


def test_time_grows_linearly():
    """Ten times the unclosed tags take far less than a hundred times as long (the quadratic ratio)."""
    small = min(_parse_timed("<think><tool_call>" * 2_000)[1] for _ in range(3))
    large = min(_parse_timed("<think><tool_call>" * 20_000)[1] for _ in range(3))
    assert large < 30 * small + 0.05, (small, large)


def test_a_number_with_thousands_of_digits_is_an_error_not_an_exception():
    text = '<tool_call>{"name": "crop_clip", "arguments": {"start": %s, "end": 2}}</tool_call>' % ("1" * 5000)
    action = _check(text)
    assert action.kind == "invalid"
    assert "thousands of digits" in action.errors[0]
    as_string = '<tool_call>{"name": "crop_clip", "arguments": "{\\"start\\": %s}"}</tool_call>' % ("1" * 5000)
    assert "thousands of digits" in _check(as_string).errors[0]


@pytest.mark.parametrize("depth", [MAX_NESTING + 1, 500, 100_000])
def test_deep_nesting_is_an_error_that_says_the_limit(depth):
    text = '<tool_call>{"name": "zoom_frame", "arguments": {"time": 1, "box": %s}}</tool_call>' % ("[" * depth + "]" * depth)
    action = _check(text)
    assert action.kind == "invalid" and f"at most {MAX_NESTING} levels" in action.errors[0], action.errors


def test_nesting_within_the_limit_is_passed_on():
    box = "[" * (MAX_NESTING - 2) + "]" * (MAX_NESTING - 2)
    action = _check('<tool_call>{"name": "zoom_frame", "arguments": {"time": 1, "box": %s}}</tool_call>' % box)
    assert action.kind == "tool_calls"


def test_thousands_of_bad_calls_give_a_short_list_of_errors():
    text = "".join(f'<tool_call>{{"name": "tool{i}"}}</tool_call>' for i in range(5000))
    action = _check(text)
    assert len(action.errors) == MAX_ERRORS + 1 and action.errors[-1] == "more problems not listed"
    assert len(correction_message(action, TOOLS)) < 2000


def test_a_huge_tool_name_is_quoted_short():
    action = _check('<tool_call>{"name": "%s", "arguments": {}}</tool_call>' % ("x" * 100_000))
    assert len(action.errors[0]) < 300 and "100000 characters" in action.errors[0]


@pytest.mark.parametrize("value, expected", [(None, "empty output"), (b"<answer>A</answer>", "not text (got bytes)"),
                                             (42, "not text (got int)"), (["<answer>A</answer>"], "not text (got list)")])
def test_non_text_is_a_clear_error(value, expected):
    action = parse_action(value, TOOLS)
    assert action.kind == "invalid" and expected in action.errors[0]
