"""Traces: JSONL round trip and a self-contained HTML page that shows the frames."""

from html.parser import HTMLParser

import pytest
from PIL import Image

from vagent.agent.episode import EpisodeState
from vagent.agent.trace import Trace
from vagent.errors import ConfigError
from vagent.types import TimedImage, image_block, timed_image_blocks


class PageParser(HTMLParser):
    def __init__(self):
        super().__init__()
        self.images, self.captions, self.external, self._in_caption = [], [], [], False

    def handle_starttag(self, tag, attrs):
        attrs = dict(attrs)
        if tag == "img":
            self.images.append(attrs["src"])
        if tag in ("script", "link") or (tag == "img" and not attrs["src"].startswith("data:")):
            self.external.append(tag)
        self._in_caption = tag == "figcaption"

    def handle_data(self, data):
        if self._in_caption and data.strip():
            self.captions.append(data.strip())


def frame(t, colour):
    return TimedImage(t, Image.new("RGB", (32, 24), colour))


def episode(answer="B"):
    user = [{"type": "text", "text": "Question: which colour?"}, *timed_image_blocks([frame(0.0, "red"), frame(5.0, "blue")])]
    tool = [{"type": "text", "text": "crop 1.00s-2.00s: 1 frames"}, *timed_image_blocks([frame(1.5, "green")])]
    return EpisodeState(
        question="which colour?",
        options=["red", "blue"],
        video="/v.mp4",
        messages=[
            {"role": "system", "content": "rules"},
            {"role": "user", "content": user},
            {"role": "assistant", "content": '<think>crop</think><tool_call>{"name": "crop_clip", "arguments": {"start": 1, "end": 2}}</tool_call>'},
            {"role": "tool", "name": "crop_clip", "content": tool},
            {"role": "assistant", "content": f"<think>blue</think><answer>{answer}</answer>"},
        ],
        steps=[
            {"turn": 1, "message_index": 2, "action": {"kind": "tool_calls"}, "calls": [], "policy_seconds": 0.1,
             "tool_seconds": 0.2, "prompt_tokens": 10, "completion_tokens": 5, "budget_left": {"turns": 7}},
        ],
        turns=2,
        answer=answer,
        end_reason="answered",
    )


def test_round_trip(tmp_path):
    trace = Trace([episode("B"), episode("A")], answer="B", meta={"strategy": "self_consistency"})
    path = trace.save(tmp_path / "trace.jsonl")
    loaded = Trace.load(path)
    assert loaded.answer == "B"
    assert loaded.meta["strategy"] == "self_consistency"
    assert [e.answer for e in loaded.episodes] == ["B", "A"]
    assert loaded.episodes[0].messages == trace.episodes[0].messages
    assert not list(tmp_path.glob(".*.tmp"))  # atomic write leaves no temp file


def test_page_is_self_contained_and_shows_every_frame_with_its_time(tmp_path):
    trace = Trace([episode("B"), episode("A")], answer="B")
    page = trace.render_html(tmp_path / "trace.html").read_text()
    parser = PageParser()
    parser.feed(page)
    assert len(parser.images) == 6  # 3 frames per trajectory, side by side
    assert all(src.startswith("data:image/jpeg;base64,") for src in parser.images)
    assert parser.external == []
    assert parser.captions[:3] == ["t=0.00s", "t=5.00s", "t=1.50s"]
    assert "Trajectory 2" in page and "crop_clip" in page and "Final answer" in page


def test_images_decode_back(tmp_path):
    block = image_block(frame(2.0, "red"))
    assert block["time"] == 2.0 and block["image"].startswith("data:image/jpeg")


@pytest.mark.parametrize("content", ["", "{}\n", '{"kind": "trajectory", "episode": {"nope": 1}}\n'])
def test_bad_trace_files(tmp_path, content):
    path = tmp_path / "bad.jsonl"
    path.write_text(content)
    with pytest.raises(ConfigError):
        Trace.load(path)


def test_missing_trace_file(tmp_path):
    with pytest.raises(ConfigError, match="no such trace"):
        Trace.load(tmp_path / "none.jsonl")
