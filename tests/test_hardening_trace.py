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


EVIL = '<script>alert(1)</script><img src=x onerror=alert(2)>"\'&'


def test_page_and_notebook_view_escape_everything_and_load_nothing(tmp_path):
    """Text from the model, the tools and the header cannot add markup; only data:image/ URLs are embedded."""
    from html.parser import HTMLParser

    text = f'<think>{EVIL}</think><tool_call>{{"name": "crop_clip", "arguments": {{"start": "{EVIL[:20]}", "end": 1e999}}}}</tool_call>'
    tool = [{"type": "text", "text": EVIL}, {"type": "image", "image": "https://example.com/x.png", "time": 1.0},
            {"type": "image", "image": "javascript:alert(3)", "time": 2.0}, {"type": "image", "image": "data:text/html,<b>x</b>"}]
    state = EpisodeState(question=EVIL, options=[EVIL], video=EVIL,
                         messages=[{"role": "user", "content": f"Video duration: 5.00s. {EVIL}"},
                                   {"role": "assistant", "content": text}, {"role": EVIL, "name": EVIL, "content": tool}],
                         steps=[{"turn": EVIL, "message_index": 1, "policy_seconds": "x", "prompt_tokens": EVIL,
                                 "calls": [{"tool": EVIL, "arguments": {"time": EVIL}, "summary": EVIL, "error": EVIL,
                                            "image_times": [EVIL, float("nan")]},
                                           {"tool": "detect_scenes", "arguments": [], "summary": EVIL, "image_times": []}]}],
                         answer=EVIL, end_reason=EVIL, error=EVIL)
    meta = {EVIL: EVIL, "model": EVIL, "votes": [{"answer": EVIL, "count": EVIL, "members": [EVIL, 0]}, EVIL],
            "cost": {"tokens": EVIL}, "evidence": [[EVIL, 2]], "truth": EVIL, "answer_type": "span"}
    trace = Trace([state], answer=EVIL, meta=meta)

    class Tags(HTMLParser):
        def __init__(self):
            super().__init__()
            self.bad = []

        def handle_starttag(self, tag, attrs):
            if tag in ("script", "iframe", "object", "embed", "link") or any(k.startswith("on") for k, _ in attrs):
                self.bad.append(tag)
            if tag == "img" and not dict(attrs)["src"].startswith("data:image/"):
                self.bad.append(dict(attrs)["src"])

    for html_text in (trace.render_html(tmp_path / "t.html").read_text(encoding="utf-8"), trace._repr_html_()):
        tags = Tags()
        tags.feed(html_text)
        assert tags.bad == []
        assert "<script>" not in html_text and "&lt;script&gt;" in html_text
        assert "example.com" not in html_text and "javascript:" not in html_text
        assert html_text.count("[image not embedded]") == 3
