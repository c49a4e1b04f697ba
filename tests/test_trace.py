"""Traces: JSONL round trip, a self-contained HTML page that shows the frames and opens with a summary
and a timeline, the inline notebook view, and (when Chromium is installed) a browser screenshot."""

import importlib.util
import re
from html.parser import HTMLParser
from pathlib import Path

import pytest
from PIL import Image

from vagent.agent.episode import EpisodeState
from vagent.agent.trace import Trace
from vagent.errors import ConfigError
from vagent.types import TimedImage, block_image, image_block, timed_image_blocks


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
    user = [{"type": "text", "text": "Video duration: 10.00s.\nQuestion: which colour?"}, *timed_image_blocks([frame(0.0, "red"), frame(5.0, "blue")])]
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
            {"turn": 1, "message_index": 2, "action": {"kind": "tool_calls"}, "policy_seconds": 0.1,
             "tool_seconds": 0.2, "prompt_tokens": 10, "completion_tokens": 5, "budget_left": {"turns": 7},
             "calls": [{"tool": "crop_clip", "arguments": {"start": 1, "end": 2}, "summary": "crop 1.00s-2.00s: 1 frames",
                        "error": None, "seconds": 0.2, "image_times": [1.5]}]},
            {"turn": 2, "message_index": 4, "action": {"kind": "answer"}, "calls": [], "policy_seconds": 0.1,
             "tool_seconds": 0.0, "prompt_tokens": 12, "completion_tokens": 4, "budget_left": {"turns": 6}},
        ],
        turns=2,
        tool_calls=1,
        frames_shown=1,
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


def sc_trace() -> Trace:
    """Two trajectories voted on, as ``vagent ask --strategy self_consistency`` writes them."""
    meta = {"question": "which colour?", "model": "scripted", "strategy": "self_consistency",
            "votes": [{"answer": "B", "count": 1, "members": [0]}, {"answer": "A", "count": 1, "members": [1]}],
            "chosen": 0, "tie": True, "scores": [], "cost": {"trajectories": 2, "tool_calls": 2, "frames": 2, "tokens": 62, "seconds": 1.25},
            "evidence": [[4.0, 6.0]], "truth": "B", "answer_type": "choice", "seed": 7}
    return Trace([episode("B"), episode("A")], answer="B", meta=meta)


def _svg(page: str) -> str:
    return re.search(r"<svg.*?</svg>", page, re.S).group(0)


def test_header_is_a_summary_not_json(tmp_path):
    page = sc_trace().render_html(tmp_path / "t.html").read_text()
    header = page[: page.index('<div class="runs">')]
    assert "Final answer: <b>B</b>" in header and "ground truth: <b>&quot;B&quot;</b>" not in header
    assert "ground truth: <b>B</b>" in header
    votes = re.search(r"votes \(tie\)</div><table>(.*?)</table>", header).group(1)
    assert re.findall(r"<td>(.*?)</td>", votes) == ["B", "1", "1", "A", "1", "2"]  # answer, votes, trajectories (1-based)
    cost = re.sub(r"<[^>]+>", "", re.search(r'<div class="cost">(.*?)</div>', header).group(1))
    assert cost == "2 trajectories · 4 turns · 2 tool calls · 2 frames · 62 tokens · 1.25 s"
    assert "<th>strategy</th><td>self_consistency</td>" in header
    assert "&quot;members&quot;" not in header and "&quot;trajectories&quot;" not in header  # no raw JSON of votes or cost
    assert "<summary>other header fields</summary>" in header and "<th>seed</th><td>7</td>" in header


def test_cost_is_summed_from_the_trajectories_when_the_header_has_none(tmp_path):
    page = Trace([episode("B")], answer="B").render_html(tmp_path / "t.html").read_text()
    cost = re.sub(r"<[^>]+>", "", re.search(r'<div class="cost">(.*?)</div>', page).group(1))
    assert cost == "2 turns · 1 tool calls · 1 frames · 31 tokens · 0.40 s"


def test_timeline_shows_where_each_tool_looked_and_the_ground_truth(tmp_path):
    trace = sc_trace()
    trace.answer = "[4.5, 5.5]"
    trace.episodes[1].steps[1]["calls"] = [
        {"tool": "read_text", "arguments": {"time": 7.0}, "summary": "read_text t=7.00s: 0 line(s)", "error": None, "image_times": []},
        {"tool": "zoom_frame", "arguments": {"time": "soon"}, "summary": "ERROR: time must be a number", "error": "bad", "image_times": []},
    ]
    svg = _svg(trace.render_html(tmp_path / "t.html").read_text())
    labels = re.findall(r'text-anchor="end"[^>]*>([^<]+)</text>', svg)
    assert labels == ["ground truth", "answer", "overview frames", "T1 crop_clip", "T2 crop_clip", "T2 read_text", "T2 zoom_frame"]
    left, width = 170, 960 - 170 - 14  # the axis: 10 s over the lane width
    x = lambda t: round(left + t * width / 10, 1)  # noqa: E731
    assert f'<rect x="{x(4.0)}" y="3" width="{round(x(6.0) - x(4.0), 1)}"' in svg  # ground truth 4-6 s
    assert re.search(rf'<rect x="{x(1.0)}" y="4" width="{round(x(2.0) - x(1.0), 1)}"[^>]*><title>turn 1: crop_clip', svg)  # the window
    assert f'<circle cx="{x(1.5)}"' in svg  # the frame it returned
    assert re.search(rf'<circle cx="{x(7.0)}" cy="10.0" r="3.2" fill="#ef6c00"><title>turn 2: read_text', svg)  # the moment read
    assert re.search(r'fill="#c62828">✕<title>turn 2: zoom_frame\(\{&quot;time&quot;: &quot;soon&quot;\}\) → ERROR', svg)  # failed, no time to place: a red cross
    overview = re.findall(r'<line x1="([\d.]+)"[^>]*stroke="#555"', svg)
    assert overview == [str(x(0.0)), str(x(5.0))]
    assert svg.count(">10s</text>") == 1  # the axis runs to the video's duration


def test_notebook_view_shows_think_calls_and_timed_frames():
    trace = Trace([episode("B")], answer="B", meta={"question": "which colour?"})
    view = trace._repr_html_()
    assert not view.startswith("<!doctype") and view.startswith('<div class="vt inline">')
    assert '<div class="think">crop</div>' in view and "→ crop_clip(" in view and "<b>answer:</b> B" in view
    parser = PageParser()
    parser.feed(view)
    assert parser.captions == ["t=0.00s", "t=5.00s", "t=1.50s"] and parser.external == []
    assert "<svg" in view and len(repr(trace)) < 200  # the plain repr stays one short line


def test_notebook_view_shrinks_large_frames():
    big = [{"type": "text", "text": "Video duration: 10.00s.\nQuestion: q"}, *timed_image_blocks([frame(0.0, "red")])]
    big[-1]["image"] = TimedImage(0.0, Image.effect_noise((1280, 720), 60).convert("RGB")).to_data_url()
    state = EpisodeState(question="q", options=None, video="v.mp4", messages=[{"role": "user", "content": big}])
    page, view = Trace([state]).render_html, Trace([state])._repr_html_()
    src = PageParser()
    src.feed(view)
    assert len(src.images[0]) < len(big[-1]["image"]) / 4
    assert block_image({"image": src.images[0]}).size == (192, 108)


_SCRIPT = Path(__file__).resolve().parent.parent / "bench" / "screenshot_trace.py"
_spec = importlib.util.spec_from_file_location("screenshot_trace", _SCRIPT)
shots = importlib.util.module_from_spec(_spec)
_spec.loader.exec_module(shots)


@pytest.mark.skipif(shots.find_chromium() is None, reason="Chromium is not installed (apt-get install chromium)")
def test_page_in_a_real_browser(tmp_path):
    """bench/screenshot_trace.py's screenshot: the page draws the answer banner and the timeline lanes."""
    page = sc_trace().render_html(tmp_path / "t.html")
    png = shots.screenshot(page, tmp_path / "t.png", (1200, 900))
    assert not shots.is_blank(png)
    with Image.open(png) as image:
        colours = {colour for _, colour in image.convert("RGB").getcolors(1 << 20)}
    assert (232, 245, 233) in colours  # the final-answer banner (#e8f5e9)
    assert (102, 187, 106) in colours  # the ground-truth span on the timeline (#66bb6a)


def test_timeline_reads_scenes_from_structured_data_and_the_duration_from_the_question(tmp_path):
    """Live traces carry each result's data (scenes, hits) and the question's duration: the page
    places them from those fields, not by reading the texts (old traces still work from text)."""
    from vagent.agent.prompts import question_message

    state = episode()
    state.messages[1] = question_message("which colour?", ["red", "blue"], 20.0, [frame(0.0, "red")])
    state.messages[2]["content"] = '<think>scenes</think><tool_call>{"name": "detect_scenes", "arguments": {}}</tool_call>'
    state.messages[3] = {"role": "tool", "name": "detect_scenes", "content": [{"type": "text", "text": "2 scene(s): (text not read)"}],
                         "data": {"scenes": [[0.0, 12.0], [12.0, 20.0]]}, "error": False, "budget_spent": None}
    state.steps[0]["calls"] = [{"tool": "detect_scenes", "arguments": {}, "summary": "2 scene(s)", "error": None, "image_times": []}]
    svg = _svg(Trace([state], answer="B").render_html(tmp_path / "d.html").read_text())
    left, width = 170, 960 - 170 - 14
    x = lambda t: round(left + t * width / 20, 1)  # noqa: E731  (the axis runs to the question's 20 s)
    assert svg.count(">20s</text>") == 1
    assert re.search(rf'<rect x="{x(12.0)}" y="4" width="{round(x(20.0) - x(12.0), 1)}"[^>]*><title>turn 1: detect_scenes', svg)
