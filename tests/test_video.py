"""tools/video.py: true timestamps, upright frames, sampling, seeking, bad inputs."""

from __future__ import annotations

import wave

import av
import numpy as np
import pytest

from tests.videos import frame_interval, make_video, read_index, truncate
from vagent.errors import VideoError
from vagent.tools import video as video_module
from vagent.tools.video import Video

ALL = ["cfr_mp4", "cfr_mkv", "vfr_mp4", "vfr_mkv", "offset_mkv", "late_audio_mp4", "late_audio_mkv",
       "rot90_mp4", "rot270_mkv", "rot180_mp4"]


def _index(image) -> int | None:
    return read_index(np.asarray(image))


@pytest.mark.parametrize("name", ALL)
def test_every_frame_has_its_true_time_and_is_upright(test_videos, name):
    tv = test_videos[name]
    with Video(tv.path) as video:
        frames = list(video.iter_arrays())
        assert video.warnings == []
    assert len(frames) == len(tv.times)
    for i, (t, array) in enumerate(frames):
        assert array.shape[:2] == (tv.height, tv.width), "frame is not upright"
        assert read_index(array) == i
        assert abs(t - tv.times[i]) <= frame_interval(tv.times, i) / 2


@pytest.mark.parametrize("name", ALL)
def test_info(test_videos, name):
    tv = test_videos[name]
    with Video(tv.path) as video:
        info = video.info
    assert (info.width, info.height) == (tv.width, tv.height)
    assert info.rotation == {-90: -90, 90: 90, 180: 180, 0: 0}[tv.rotation] or abs(info.rotation) == 180
    assert info.start == pytest.approx(tv.times[0], abs=1e-3)
    assert tv.times[-1] < info.end <= tv.times[-1] + 0.5
    assert info.codec == "h264"
    assert ("matroska" in info.container) == tv.path.name.endswith(".mkv")
    assert info.num_frames == pytest.approx(len(tv.times), rel=0.5)


def test_late_video_keeps_offset_only_behind_another_stream(test_videos):
    with Video(test_videos["late_audio_mkv"].path) as late, Video(test_videos["offset_mkv"].path) as alone:
        assert late.info.start == pytest.approx(1.0)
        assert alone.info.start == 0.0


@pytest.mark.parametrize("name", ["cfr_mp4", "vfr_mkv", "late_audio_mp4", "rot90_mp4"])
def test_frame_at_returns_nearest_frame(test_videos, name):
    tv = test_videos[name]
    truth = np.asarray(tv.times)
    with Video(tv.path) as video:
        for t in np.linspace(0, truth[-1] + 0.05, 17):
            frame = video.frame_at(float(t))
            i = _index(frame.image)
            assert abs(truth[i] - t) == pytest.approx(np.abs(truth - t).min(), abs=1e-6)
            assert frame.time == pytest.approx(truth[i], abs=1e-6)


def test_sample_fps_and_count(test_videos):
    tv = test_videos["cfr_mp4"]  # 30 frames at 10 fps
    with Video(tv.path) as video:
        by_rate = video.sample(fps=2.0)
        assert [_index(f.image) for f in by_rate] == [0, 5, 10, 15, 20, 25]
        assert [f.time for f in by_rate] == pytest.approx([0, 0.5, 1.0, 1.5, 2.0, 2.5])
        window = video.sample(fps=5.0, start=1.0, end=2.0)
        assert [_index(f.image) for f in window] == [10, 12, 14, 16, 18]
        counted = video.sample(count=4, start=0.5, end=2.5)
        assert [f.time for f in counted] == pytest.approx([0.7, 1.2, 1.7, 2.2])
        assert all(0.5 <= f.time <= 2.5 for f in counted)
        assert len(video.sample(fps=100.0, start=0.0, end=0.5)) == 6  # each frame once
        with pytest.raises(ValueError):
            video.sample(fps=1.0, count=3)
        with pytest.raises(ValueError):
            video.sample(count=2, start=2.0, end=1.0)


def test_sample_vfr_picks_nearest(test_videos):
    tv = test_videos["vfr_mp4"]
    truth = np.asarray(tv.times)
    with Video(tv.path) as video:
        for frame in video.sample(fps=3.0):
            assert frame.time == pytest.approx(truth[_index(frame.image)], abs=1e-6)
        times = [f.time for f in video.sample(fps=3.0)]
        targets = [i / 3 for i in range(100) if i / 3 < video.info.end]
    expected = sorted({float(truth[np.abs(truth - t).argmin()]) for t in targets})
    assert times == pytest.approx(expected)


def test_max_side_resizes_on_decode(test_videos):
    tv = test_videos["rot90_mp4"]
    with Video(tv.path) as video:
        frame = video.frame_at(1.0, max_side=80)
    assert frame.image.size == (80, 48)
    assert _index(frame.image) == 10


def _count_decoded(monkeypatch, video: Video) -> list[int]:
    counter = [0]
    original = video._decode

    def counting(*args, **kwargs):
        for item in original(*args, **kwargs):
            counter[0] += 1
            yield item

    monkeypatch.setattr(video, "_decode", counting)
    return counter


def test_seeks_instead_of_decoding_everything(long_video, monkeypatch):
    with Video(long_video.path) as video:  # 600 frames, keyframe every 10
        counter = _count_decoded(monkeypatch, video)
        frame = video.frame_at(45.0)
        assert _index(frame.image) == 450 and frame.time == pytest.approx(45.0)
        assert counter[0] <= 12
        counter[0] = 0
        frames = video.sample(fps=0.1)  # 6 targets, 10 s apart
        assert [_index(f.image) for f in frames] == [0, 100, 200, 300, 400, 500]
        assert counter[0] <= 6 * 12
        counter[0] = 0
        assert [_index(f.image) for f in video.sample(count=3, start=30, end=33)] == [305, 315, 325]
        assert counter[0] <= 40


def test_iter_frames_window(long_video):
    with Video(long_video.path) as video:
        items = list(video.iter_arrays(start=12.0, end=13.0, max_side=64))
    assert [round(t, 3) for t, _ in items] == pytest.approx([12.0 + i / 10 for i in range(11)])
    assert [read_index(a) for _, a in items] == list(range(120, 131))
    assert items[0][1].shape == (36, 64, 3)


def test_missing_file(tmp_path):
    with pytest.raises(VideoError) as err:
        Video(tmp_path / "nope.mp4")
    assert err.value.kind == "missing" and "not found" in str(err.value)


def test_not_a_video(tmp_path):
    text = tmp_path / "notes.txt"
    text.write_text("just some words, not a video\n" * 20)
    with pytest.raises(VideoError) as err:
        Video(text)
    assert err.value.kind == "not_video"
    with pytest.raises(VideoError) as err:
        Video(tmp_path)
    assert err.value.kind == "not_video"


def test_no_video_stream(tmp_path):
    path = tmp_path / "sound.wav"
    with wave.open(str(path), "wb") as w:
        w.setnchannels(1), w.setsampwidth(2), w.setframerate(8000)
        w.writeframes(b"\x00\x00" * 8000)
    with pytest.raises(VideoError) as err:
        Video(path)
    assert err.value.kind == "no_video_stream" and "audio" in str(err.value)


def test_corrupt(tmp_path, test_videos):
    garbage = tmp_path / "garbage.mp4"
    garbage.write_bytes(np.random.default_rng(0).integers(0, 256, 50_000, dtype=np.uint8).tobytes())
    with pytest.raises(VideoError) as err:
        Video(garbage)
    assert err.value.kind == "corrupt"
    # MP4 cut before its index (moov atom at the end): cannot be opened
    cut = truncate(test_videos["cfr_mp4"].path, tmp_path / "cut.mp4", 0.5)
    with pytest.raises(VideoError) as err:
        Video(cut)
    assert err.value.kind == "corrupt"
    empty = tmp_path / "empty.mkv"
    empty.write_bytes(b"")
    with pytest.raises(VideoError) as err:
        Video(empty)
    assert err.value.kind in ("corrupt", "not_video")


@pytest.mark.parametrize("suffix", [".mkv", ".mp4"])
def test_truncated_tail_decodes_what_it_can(tmp_path, suffix):
    full = tmp_path / f"full{suffix}"
    # an MP4 with its index first (faststart), cut off like an interrupted recording
    options = {"movflags": "faststart"} if suffix == ".mp4" else None
    times = make_video(full, num_frames=60, fps=10, width=320, height=192, container_options=options)
    cut = truncate(full, tmp_path / f"cut{suffix}", 0.6)
    with Video(cut) as video:
        frames = list(video.iter_arrays())
        assert 5 < len(frames) < len(times)
        assert [read_index(a) for _, a in frames[:5]] == [0, 1, 2, 3, 4]
        for t, array in frames:
            i = read_index(array)
            if i is not None:
                assert t == pytest.approx(times[i], abs=0.05)
        last = frames[-1][0]
        if suffix == ".mp4":  # the MP4 header knows the full length: the cut is reported
            assert any("truncated" in w for w in video.warnings)
        assert video.frame_at(video.info.end).time == pytest.approx(last, abs=0.2)  # no exception


def test_real_clip_times_are_pts(bikes):
    with Video(bikes) as video:
        info = video.info
        assert (info.width, info.height, info.fps) == (640, 272, 25.0)
        assert info.duration == pytest.approx(10.0, abs=0.1)
        times = [t for t, _ in video.iter_frames(start=2.0, end=3.0)]
        assert times == pytest.approx([2.0 + i * 0.04 for i in range(26)], abs=1e-6)
        assert video.frame_at(5.01).time == pytest.approx(5.0)
        assert len(video.sample(fps=1.0, max_side=128)) == 10


def test_seek_gap_is_module_setting():
    assert video_module.SEEK_GAP > 0
