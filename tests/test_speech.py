"""Timed text without a speech model: subtitles (sidecar files and a stream inside the container), the
cache, and audio that gives no usable speech (none, damaged, several tracks) as a note, never a traceback."""

import json
import logging
from fractions import Fraction

import av
import numpy as np
import pytest

from vagent.env.synthetic_speech import SAMPLE_RATE, mix, phrase, write_talk_video
from vagent.tools.index import IndexSettings
from vagent.tools.registry import ToolLimits, VideoTools
from vagent.tools.speech import group_regions, read_audio, transcribe_video
from vagent.tools.subtitles import find_subtitles, parse_cues
from vagent.tools.timed_text import Line, SpeechSettings, TimedText, Word, cache_path, load_timed_text, save_timed_text

PICTURE = np.full((96, 128, 3), 80, np.uint8)
SRT = "1\n00:00:01,000 --> 00:00:03,000\nThe code word is <i>tiger</i>.\n\n2\n00:00:04,500 --> 00:00:05,250\nSecond line\nwrapped.\n"
VTT = "WEBVTT\n\n00:01.500 --> 00:02.000 align:start\n{\\i1}Hello{\\i0} there\n\nnote\n00:00:03.000 --> 00:00:04.000\nBye\n"


def test_srt_and_vtt_cues_lose_markup_and_keep_times():
    assert parse_cues(SRT) == [Line(1.0, 3.0, "The code word is tiger."), Line(4.5, 5.25, "Second line wrapped.")]
    assert parse_cues(VTT) == [Line(1.5, 2.0, "Hello there"), Line(3.0, 4.0, "Bye")]
    assert parse_cues("1\n00:00:05,000 --> 00:00:04,000\nbackwards\n\nno times here\n") == []


def test_a_sidecar_srt_is_the_timed_text_and_listen_reads_it(tmp_path):
    video = write_talk_video(tmp_path / "talk.mp4", PICTURE, None, 6.0)
    (tmp_path / "talk.en.srt").write_text(SRT, encoding="utf-8")
    found = find_subtitles(video)
    assert found.source == "subtitles: talk.en.srt" and [line.text for line in found.lines][0] == "The code word is tiger."
    tools = VideoTools.open(video, IndexSettings(cache_dir=tmp_path))  # no CLIP weights offline: what is said is still searched
    try:
        heard = tools.call("listen", {"start": 0.5, "end": 4.0})
        assert not heard.error and heard.data["lines"] == [[1.0, 3.0, "The code word is tiger.", 1.0]]
        assert heard.data["audio_seconds"] == 3.5 and "subtitles: talk.en.srt" in heard.text
        said = tools.call("search_clips", {"query": "code word", "top_k": 3})
        assert not said.error and said.data == {"hits": [], "said": [[1.0, 3.0, 1.0, "The code word is tiger."]], "audio_seconds": 2.0}
        assert "visual search" in said.text and 'said 1. 1.00s-3.00s score=1.000 "The code word is tiger."' in said.text
        assert tools.call("listen", {"start": 0.0, "end": 0.0}).error  # an empty window
        short = VideoTools(tools.video, tools.index, ToolLimits(max_listen_seconds=2.0))
        too_long = short.call("listen", {"start": 0.0, "end": 4.0})
        assert too_long.error and "one call hears at most 2s" in too_long.text
    finally:
        tools.close()


def _mkv_with_subtitle_stream(tmp_path):
    (tmp_path / "cues.srt").write_text(SRT, encoding="utf-8")
    path = tmp_path / "subbed.mkv"
    with av.open(str(tmp_path / "cues.srt")) as source, av.open(str(path), "w", format="matroska") as out:
        video = out.add_stream("libx264", rate=5)
        video.width, video.height, video.pix_fmt = 64, 64, "yuv420p"
        text = out.add_stream_from_template(source.streams.subtitles[0])
        for i in range(30):
            frame = av.VideoFrame.from_ndarray(np.zeros((64, 64, 3), np.uint8), format="rgb24")
            frame.pts, frame.time_base = i, Fraction(1, 5)
            out.mux(video.encode(frame))
        for packet in source.demux(source.streams.subtitles[0]):
            if packet.size:
                packet.stream = text
                out.mux(packet)
        out.mux(video.encode(None))
    (tmp_path / "cues.srt").unlink()
    return path


def test_a_subtitle_stream_inside_the_container_is_read_on_the_video_clock(tmp_path):
    found = find_subtitles(_mkv_with_subtitle_stream(tmp_path))
    assert found.source.startswith("subtitles: subtitle stream 1")
    assert found.lines == [Line(1.0, 3.0, "The code word is tiger."), Line(4.5, 5.25, "Second line wrapped.")]


def test_cache_round_trip_and_an_edited_entry_is_not_trusted(tmp_path, caplog):
    settings = SpeechSettings()
    text = TimedText("speech: whisper tiny.en, audio track 0", [Line(1.0, 2.0, "hi there", 0.9, (Word(1.0, 1.4, " hi", 0.95),
                                                                                           Word(1.4, 2.0, " there", 0.85)))])
    where = cache_path(tmp_path, "abc", settings)
    save_timed_text(text, where, settings)
    assert load_timed_text(where, settings) == text
    assert load_timed_text(where, SpeechSettings(model="base.en")) is None  # other settings: made again
    data = json.loads(where.read_text())
    data["text"]["lines"][0]["text"] = "edited"
    where.write_text(json.dumps(data))
    with caplog.at_level(logging.WARNING):
        assert load_timed_text(where, settings) is None
    assert "checksum differs" in caplog.text


def test_window_cuts_a_line_to_its_words_and_search_ranks_by_shared_words():
    words = (Word(1.0, 1.5, " the", 0.9), Word(1.5, 2.0, " code", 0.8), Word(2.0, 3.0, " tiger", 0.5))
    text = TimedText("speech", [Line(1.0, 3.0, "the code tiger", 0.73, words), Line(5.0, 6.0, "code", 1.0)])
    cut = text.window(1.6, 2.5)
    assert cut == [Line(1.5, 3.0, "code tiger", 0.65, words[1:])]
    assert [(line.start, score) for line, score in text.search("tiger code")] == [(1.0, 1.0), (5.0, 0.5)]


def test_subtitles_belong_to_the_file_beside_them_not_to_identical_video_bytes(tmp_path):
    """Two byte-identical videos share an index (same content) but not a sidecar: the one without
    subtitles must not be given the other's (they were once cached by content and leaked)."""
    (tmp_path / "with").mkdir()
    (tmp_path / "without").mkdir()
    subtitled = write_talk_video(tmp_path / "with" / "talk.mp4", PICTURE, None, 3.0)
    (tmp_path / "with" / "talk.srt").write_text(SRT, encoding="utf-8")
    bare = tmp_path / "without" / "talk.mp4"
    bare.write_bytes(subtitled.read_bytes())
    settings = IndexSettings(cache_dir=tmp_path / "cache")
    assert VideoTools.open(subtitled, settings).timed_text().usable
    alone = VideoTools.open(bare, settings).timed_text()
    assert not alone.usable and alone.status() == "no usable speech: the video has no audio stream (streams: video)"


def test_no_audio_stream_is_a_note(tmp_path):
    text = transcribe_video(write_talk_video(tmp_path / "mute.mp4", PICTURE, None, 3.0), SpeechSettings())
    assert text.lines == [] and text.status() == "no usable speech: the video has no audio stream (streams: video)"


def damage_audio(path):
    """Overwrite every audio packet of ``path`` with random bytes (the video packets stay intact)."""
    with av.open(str(path)) as container:
        spans = [(p.pos, p.size) for p in container.demux(container.streams.audio[0]) if p.size]
    rng = np.random.default_rng(0)
    with open(path, "r+b") as handle:
        for pos, size in spans:
            handle.seek(pos)
            handle.write(rng.integers(0, 256, size, dtype=np.uint8).tobytes())
    return path


def test_damaged_audio_is_a_note(tmp_path):
    path = write_talk_video(tmp_path / "bad.mp4", PICTURE, mix([(0.5, phrase("Thank you for watching."))], 4.0), 4.0)
    text = transcribe_video(damage_audio(path), SpeechSettings())
    assert text.lines == [] and "the audio stream cannot be decoded" in text.note


def test_late_audio_is_read_on_the_video_clock_and_a_missing_track_is_a_note(tmp_path):
    audio = mix([(0.0, phrase("Thank you for watching."))], 3.0)
    path = write_talk_video(tmp_path / "late.mp4", PICTURE, audio, 6.0, audio_start=2.0)
    samples, start, track, notes = read_audio(path, SpeechSettings())
    assert abs(start - 2.0) < 0.06 and track == "audio track 0" and notes == []
    assert abs(len(samples) / 16000 - 3.0) < 0.1
    assert "audio track 3 asked for, but the video has 1" in transcribe_video(path, SpeechSettings(audio_track=3)).note


def test_speech_regions_group_into_whisper_sized_chunks():
    second = 16000
    assert group_regions([(0, second), (int(1.5 * second), 2 * second)]) == [(0, 2 * second)]
    assert group_regions([(0, second), (5 * second, 6 * second)]) == [(0, second), (5 * second, 6 * second)]
    assert [b - a for a, b in group_regions([(0, 60 * second)])] == [28 * second, 28 * second, 4 * second]
    assert SAMPLE_RATE == 22050
