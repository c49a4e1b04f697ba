"""Speech with the real offline models (Silero VAD, Whisper tiny.en from its wheel) on generated videos:
word times on the video's clock, and `vagent ask` answering a spoken question, or saying in one line
that there is no usable speech (no audio stream, damaged audio) and answering as before."""

import pytest
from typer.testing import CliRunner

from tests.test_speech import PICTURE, damage_audio
from vagent.cli import app
from vagent.env.synthetic import make_task
from vagent.env.synthetic_speech import code_phrase, mix, phrase, write_talk_video
from vagent.tools.speech import transcribe_video
from vagent.tools.timed_text import SpeechSettings

pytestmark = pytest.mark.slow
QUESTION = "What is the code word the speaker says?"


def test_words_are_heard_on_the_video_clock_when_the_audio_starts_late(tmp_path):
    audio = mix([(1.0, phrase(code_phrase("volcano")))], 4.0)
    path = write_talk_video(tmp_path / "late.mp4", PICTURE, audio, 8.0, audio_start=2.5)
    text = transcribe_video(path, SpeechSettings())
    words = [w for line in text.lines for w in line.words]
    assert "volcano" in text.lines[0].text.lower() and text.source == "speech: whisper tiny.en, audio track 0"
    assert 3.2 <= words[0].start <= 3.9  # spoken 1.0 s into audio that starts at 2.5 s (not 1.0: the audio clock)
    assert all(0 < w.probability <= 1 for w in words) and text.lines[0].confidence > 0.5
    silent = transcribe_video(write_talk_video(tmp_path / "quiet.mp4", PICTURE, mix([], 3.0), 3.0), SpeechSettings())
    assert silent.status().startswith("no usable speech: no speech found in")


def _ask(video, tmp_path):
    return CliRunner().invoke(app, ["ask", str(video), QUESTION, "--model", "scripted", "--cache-dir", str(tmp_path / "cache"),
                                    "--trace-out", str(tmp_path / "trace.jsonl")])


def test_ask_answers_the_code_word_from_speech_and_says_when_there_is_none(tmp_path):
    task = make_task("spoken_word", 3, tmp_path)
    assert task.question == QUESTION
    result = _ask(task.video, tmp_path)
    assert result.exit_code == 0, result.output
    assert "listen" in result.output and f'the code word is "{task.answer}"' in result.output
    assert "no usable speech" not in result.output

    mute = write_talk_video(tmp_path / "mute.mp4", PICTURE, None, 6.0)
    damaged = damage_audio(write_talk_video(tmp_path / "bad.mp4", PICTURE, mix([(0.5, phrase(code_phrase("tiger")))], 4.0), 6.0))
    for video, why in ((mute, "the video has no audio stream"), (damaged, "the audio stream cannot be decoded")):
        result = _ask(video, tmp_path)
        assert result.exit_code == 0, result.output
        assert result.output.count("no usable speech") >= 1 and why in result.output and "Traceback" not in result.output
        assert "unknown" in result.output
