"""Speech through the command line, with subtitles as the timed text (no speech model loads): --speech /
--speech-model reach ask, eval and index over $VAGENT_SPEECH, `vagent ask` streams what listen heard, and
the trace page draws each heard line at its times."""

import json
import re

import numpy as np
import pytest
from typer.testing import CliRunner

from vagent.cli import app
from vagent.env.synthetic_speech import write_talk_video
from vagent.tools.timed_text import SpeechSettings

QUESTION = "What is the code word the speaker says?"
SRT = "1\n00:00:01,000 --> 00:00:03,000\nHello and welcome.\n\n2\n00:00:04,000 --> 00:00:06,000\nThe code word is tiger.\n"
RANDOM = ["--clip-model", "ViT-S-32", "--clip-pretrained", "random"]


@pytest.fixture
def talk(tmp_path, monkeypatch):
    monkeypatch.setenv("VAGENT_SPEECH", "off")  # the options must win over the environment's default
    video = write_talk_video(tmp_path / "talk.mp4", np.full((96, 128, 3), 80, np.uint8), None, 8.0)
    (tmp_path / "talk.srt").write_text(SRT, encoding="utf-8")
    return video


def ask(video, tmp_path, *options):
    return CliRunner().invoke(app, ["ask", str(video), QUESTION, "--model", "scripted", "--cache-dir", str(tmp_path / "cache"),
                                    "--trace-out", str(tmp_path / "trace.jsonl"), *RANDOM, *options])


def test_ask_streams_what_listen_heard_and_the_page_draws_it_at_its_times(talk, tmp_path):
    off = ask(talk, tmp_path)
    assert off.exit_code == 0 and "no usable speech: speech is turned off" in off.output and "tiger" not in off.output

    heard = ask(talk, tmp_path, "--speech", "subtitles")
    assert heard.exit_code == 0, heard.output
    streamed = heard.output[heard.output.index("← listen"):]
    assert re.search(r'1\.00s-3\.00s "Hello and welcome\."\n\s+4\.00s-6\.00s "The code word is tiger\."', streamed), streamed
    assert "│ tiger" in heard.output
    assert re.search(r"cost: 1 trajectory\(ies\), \d+ tool calls, \d+ frames, [\d.]+s of audio, ", heard.output), heard.output

    page = (tmp_path / "trace.html").read_text(encoding="utf-8")
    assert re.search(r"<b>[\d.]+</b> s of audio heard", page)
    lane = page[page.index(">heard</text>"):]
    # an 8 s video on a 960-px axis with a 170-px label column and a 14-px margin: 97 px per second
    for start, end, text in ((1.0, 3.0, "Hello and welcome."), (4.0, 6.0, "The code word is tiger.")):
        rect = f'<rect x="{170 + 97 * start:.1f}" y="2" width="{97 * (end - start):.1f}"'
        assert rect in lane and f"<title>heard {start:.2f}s-{end:.2f}s: {text}</title>" in lane
        assert f'font-size="10" fill="#3e2723">{text}</text>' in lane


def test_bad_speech_options_are_usage_errors(talk, tmp_path):
    for options, message in ((["--speech", "loud"], "--speech must be one of auto, speech, subtitles, off"),
                             (["--speech-model", " "], "--speech-model is empty")):
        result = ask(talk, tmp_path, *options)
        assert result.exit_code == 2 and message in result.output and "Traceback" not in result.output


def test_eval_and_index_take_the_speech_options(talk, tmp_path):
    tasks = tmp_path / "tasks.jsonl"
    tasks.write_text(json.dumps({"id": "talk", "video": str(talk), "question": QUESTION, "answer_type": "text", "answer": "tiger"}) + "\n")
    result = CliRunner().invoke(app, ["eval", str(tasks), "--model", "scripted", "--out", str(tmp_path / "out"), "--cache-dir",
                                      str(tmp_path / "cache"), *RANDOM, "--speech", "subtitles"])
    assert result.exit_code == 0, result.output
    record = json.loads((tmp_path / "out" / "results.jsonl").read_text().splitlines()[0])
    assert record["answer"] == "tiger" and record["accuracy"] == 1.0 and record["cost_audio_seconds"] > 0

    # index --speech makes the timed text beside the index with the settings given (a folder as the model:
    # no model loads, the video has no audio stream, and the cached entry names the settings it was made with)
    folder = tmp_path / "my-whisper"
    result = CliRunner().invoke(app, ["index", str(talk), "--cache-dir", str(tmp_path / "cache"), *RANDOM,
                                      "--speech", "speech", "--speech-model", str(folder)])
    assert result.exit_code == 0, result.output
    assert "speech: talk.mp4: no usable speech: the video has no audio stream" in result.output
    wanted = SpeechSettings(source="speech", model=str(folder))
    [entry] = (tmp_path / "cache").glob(f"*-text-{wanted.key()}.json")
    assert json.loads(entry.read_text())["settings"]["model"] == str(folder)


def test_configs_spell_the_speech_settings_under_env_index_speech():
    from vagent.faces.verl_tools import env_config_from
    from vagent.tools.index import IndexSettings
    from vagent.training import collect

    config = collect.load_config(None, ["env.index.speech.source=subtitles", "env.index.speech.model=base.en"])
    assert config.env.index.speech == SpeechSettings(source="subtitles", model="base.en")
    assert env_config_from({"index": {"speech": {"source": "off"}}}).index.speech == SpeechSettings(source="off")
    assert config.env.index.key() == IndexSettings().key()  # the index itself does not change with them


def test_the_page_also_draws_the_spoken_matches_search_gave(talk, tmp_path):
    from dataclasses import replace

    from vagent.agent.episode import Episode
    from vagent.agent.protocol import ToolCall, render_tool_call
    from vagent.agent.trace import Trace
    from vagent.tools.index import IndexSettings
    from vagent.tools.registry import VideoTools

    settings = IndexSettings(cache_dir=tmp_path / "cache", speech=SpeechSettings(source="subtitles"))
    tools = VideoTools.open(talk, replace(settings, clip_model="ViT-S-32", clip_pretrained=None, allow_random_clip=True))
    try:
        episode = Episode.start(tools, QUESTION, overview_frames=1)
        episode.step(render_tool_call(ToolCall("search_clips", {"query": "code word"})))
    finally:
        tools.close()
    page = Trace([episode.state], answer=None, meta={}).render_html(tmp_path / "search.html").read_text(encoding="utf-8")
    lane = page[page.index(">heard</text>"):]
    assert '<rect x="558.0" y="2" width="194.0"' in lane and "<title>heard 4.00s-6.00s: The code word is tiger.</title>" in lane
    assert "Hello and welcome" not in lane and " · audio 2s</div>" in page  # only the match was given: 2 s of audio


def test_lmms_eval_model_args_take_the_speech_settings_and_the_audio_budget():
    from lmms_eval.models import get_model  # through lmms-eval's registry, as lmms-eval loads it (importing
    # vagent.lmms first would initialise the registry half-way)

    model = get_model("vagent")(policy="scripted", clip_pretrained="random", speech="subtitles", speech_model="base.en", max_audio_seconds="30")
    assert model.config.index.speech == SpeechSettings(source="subtitles", model="base.en")
    assert model.config.budget.max_audio_seconds == 30.0
