"""Video-MME's subtitles as the video's timed text when the task says so (``metadata.subtitles``, written by
``vagent data convert videomme --subtitle-dir``). The subtitle file is tests/data/videomme/fFjv93ACGo8.srt,
written by hand in the layout of Video-MME's subtitle files (one SubRip file per videoID: numbered cues,
``HH:MM:SS,mmm`` times, lower-case caption text, ``[Music]`` cues, cues over two lines)."""

import json
import shutil
from dataclasses import replace
from pathlib import Path

import numpy as np
import pytest
from typer.testing import CliRunner

from vagent.agent.protocol import ToolCall, render_tool_call
from vagent.cli import app
from vagent.env.environment import EnvConfig, VideoEnv
from vagent.env.synthetic_speech import write_talk_video
from vagent.env.tasks import load_tasks
from vagent.tools.index import IndexSettings
from vagent.tools.timed_text import SpeechSettings

SUBTITLES = Path(__file__).parent / "data" / "videomme" / "fFjv93ACGo8.srt"
ROW = {"video_id": "001", "duration": "short", "domain": "Knowledge", "sub_category": "Humanity & History",
       "url": "https://www.youtube.com/watch?v=fFjv93ACGo8", "videoID": "fFjv93ACGo8", "question_id": "001-1",
       "task_type": "Counting Problem", "question": "How many red socks are above the fireplace?",
       "options": ["A. 0.", "B. 1.", "C. 2.", "D. 3."], "answer": "C"}
HEARD = [[0.0, 2.16, "[Music]", 1.0], [2.16, 5.04, "welcome back everyone today we are", 1.0],
         [5.04, 7.919, "counting the red socks that hang above the fireplace", 1.0], [7.919, 9.5, "there are two of them", 1.0]]


@pytest.fixture
def converted(tmp_path, monkeypatch):
    """The Video-MME row converted twice through the CLI: with --subtitle-dir and without."""
    monkeypatch.delenv("VAGENT_SPEECH", raising=False)
    (tmp_path / "videos").mkdir()
    write_talk_video(tmp_path / "videos" / "fFjv93ACGo8.mp4", np.full((96, 128, 3), 80, np.uint8), None, 10.0)
    (tmp_path / "subtitle").mkdir()
    shutil.copy(SUBTITLES, tmp_path / "subtitle" / SUBTITLES.name)
    (tmp_path / "videomme.json").write_text(json.dumps([ROW]))
    files = {}
    for name, extra in (("with", ["--subtitle-dir", str(tmp_path / "subtitle")]), ("without", [])):
        files[name] = tmp_path / f"{name}.jsonl"
        result = CliRunner().invoke(app, ["data", "convert", "videomme", str(tmp_path / "videomme.json"), "--video-dir",
                                          str(tmp_path / "videos"), "--out", str(files[name]), *extra])
        assert result.exit_code == 0, result.output
    return {name: load_tasks(path)[0] for name, path in files.items()}, IndexSettings(cache_dir=tmp_path / "cache")


def listened(task, settings):
    env = VideoEnv(EnvConfig(index=settings, overview_frames=1))
    env.reset(task)
    messages, *_ = env.step(render_tool_call(ToolCall("listen", {"start": 0.0, "end": 10.0})))
    return messages[-1]


def test_the_tasks_subtitle_file_is_what_listen_hears(converted):
    tasks, settings = converted
    assert tasks["with"].metadata["subtitles"] == str(Path(tasks["with"].video).parent.parent / "subtitle" / SUBTITLES.name)
    heard = listened(tasks["with"], settings)
    assert heard["data"]["lines"] == HEARD and heard["data"]["source"] == "subtitles: fFjv93ACGo8.srt"
    assert '5.04s-7.92s "counting the red socks that hang above the fireplace"' in heard["content"][0]["text"]

    # the same video from a task that does not say so: nothing beside the video, no audio stream
    plain = listened(tasks["without"], settings)
    assert plain["data"]["lines"] == [] and "the video has no audio stream" in plain["content"][0]["text"]
    # Video-MME scored without subtitles: speech off
    off = listened(tasks["with"], replace(settings, speech=SpeechSettings(source="off")))
    assert off["data"]["lines"] == [] and "speech is turned off" in off["content"][0]["text"]


def test_a_missing_task_subtitle_file_is_a_note_or_falls_back(converted):
    tasks, settings = converted
    Path(tasks["with"].metadata["subtitles"]).unlink()
    only = listened(tasks["with"], replace(settings, speech=SpeechSettings(source="subtitles")))
    assert only["data"]["lines"] == [] and "subtitle file" in only["content"][0]["text"] and "does not exist" in only["content"][0]["text"]
    fallback = listened(tasks["with"], settings)  # auto: the video's own subtitles or speech (it has neither)
    assert fallback["data"]["lines"] == [] and "the video has no audio stream" in fallback["content"][0]["text"]
