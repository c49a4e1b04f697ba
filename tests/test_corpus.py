"""Indexing a corpus: many videos in worker processes or Ray tasks, one shared cache (tools/corpus.py).

Real videos (generated with PyAV), real worker processes and a real local Ray instance; the
broken videos are real files a decoder refuses (random bytes, an MP4 cut short).
"""

from __future__ import annotations

import json
import shutil
import sys
from pathlib import Path

import pytest
from typer.testing import CliRunner

from tests import videos
from vagent.cli import app
from vagent.errors import UsageError
from vagent.tools.corpus import find_videos, index_corpus, index_corpus_ray, index_video
from vagent.tools.index import IndexSettings, clear_memo, load_index

runner = CliRunner()
CLIP = ["--clip-model", "ViT-S-32", "--clip-pretrained", "random"]


def _settings(cache: Path) -> IndexSettings:
    return IndexSettings(clip_model="ViT-S-32", clip_pretrained=None, allow_random_clip=True, cache_dir=cache)


@pytest.fixture(scope="module")
def corpus(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """a.mp4, a copy of it, sub/b.mkv (good); broken.mp4 (not a video), truncated.mp4 (cut short)."""
    folder = tmp_path_factory.mktemp("corpus")
    (folder / "sub").mkdir()
    videos.make_video(folder / "a.mp4", num_frames=30, fps=10, scene_every=15)
    videos.make_video(folder / "sub" / "b.mkv", num_frames=40, fps=10, scene_every=20)
    shutil.copy(folder / "a.mp4", folder / "a_copy.mp4")
    (folder / "broken.mp4").write_bytes(b"this is not a video " * 50)
    data = (folder / "a.mp4").read_bytes()
    (folder / "truncated.mp4").write_bytes(data[: len(data) // 3])
    (folder / "notes.txt").write_text("not a video suffix: ignored")
    return folder


@pytest.fixture(autouse=True)
def _no_memo():
    """Each test sees only the disk cache it names (this process's memo is keyed without the folder)."""
    clear_memo()
    yield
    clear_memo()


GOOD = {"a.mp4", "a_copy.mp4", "b.mkv"}
BAD = {"broken.mp4", "truncated.mp4"}


def _rows(output: str) -> dict[str, str]:
    """video name -> status, read from the printed table."""
    rows = {}
    for line in output.splitlines():
        cells = [c.strip() for c in line.strip("│┃ ").split("│")]
        if len(cells) >= 2 and cells[1] in ("indexed", "reused", "failed"):
            rows[cells[0]] = cells[1]
    return rows


def test_find_videos_folders_files_and_task_files(corpus, tmp_path):
    tasks = tmp_path / "tasks.jsonl"
    line = {"id": "t1", "video": str(corpus / "sub" / "b.mkv"), "question": "q?", "answer_type": "text", "answer": "x"}
    tasks.write_text(json.dumps(line) + "\n")
    from vagent.env.tasks import load_tasks

    def task_videos(path):
        return [task.video for task in load_tasks(path)]

    found = find_videos([corpus, tasks, corpus / "a.mp4"], task_videos)  # each video once, in order
    assert [p.name for p in found] == ["a.mp4", "a_copy.mp4", "broken.mp4", "b.mkv", "truncated.mp4"]
    assert [p.name for p in find_videos([tasks], task_videos)] == ["b.mkv"]
    with pytest.raises(Exception, match="no such file or folder"):
        find_videos([tmp_path / "missing"])
    (tmp_path / "empty").mkdir()
    with pytest.raises(Exception, match="no video files"):
        find_videos([tmp_path / "empty"])


@pytest.mark.slow
def test_cli_indexes_a_folder_with_two_workers_and_reuses_the_cache(corpus, tmp_path):
    cache = tmp_path / "cache"
    first = runner.invoke(app, ["index", str(corpus), "--workers", "2", "--cache-dir", str(cache), *CLIP])
    assert first.exit_code == 1, first.output  # some videos failed
    rows = _rows(first.output)
    assert {name for name, status in rows.items() if status == "failed"} == BAD, first.output
    # a.mp4 and its copy have one content hash: two workers, one build, the other waits and reuses it
    assert sorted(rows[n] for n in ("a.mp4", "a_copy.mp4")) == ["indexed", "reused"] and rows["b.mkv"] == "indexed"
    assert "damaged" in first.output and "5 videos: 2 indexed, 1 reused from the cache, 2 failed" in first.output
    entries = sorted(p.name for p in cache.iterdir() if p.is_dir())
    assert len(entries) == 2 and not [p for p in cache.iterdir() if p.name.startswith(".tmp")]
    for entry in entries:  # what the workers wrote is complete and trusted
        assert load_index(cache / entry, _settings(cache), warn=False) is not None

    clear_memo()
    again = runner.invoke(app, ["index", str(corpus), "--cache-dir", str(cache), *CLIP])
    assert again.exit_code == 1
    assert {n: s for n, s in _rows(again.output).items() if n in GOOD} == dict.fromkeys(GOOD, "reused"), again.output
    good = runner.invoke(app, ["index", str(corpus / "a.mp4"), str(corpus / "sub"), "--cache-dir", str(cache), *CLIP])
    assert good.exit_code == 0 and "0 indexed, 2 reused" in good.output, good.output


def test_one_bad_video_never_stops_the_rest(corpus, tmp_path):
    order = [corpus / "broken.mp4", corpus / "sub" / "b.mkv", tmp_path / "gone.mp4", corpus / "truncated.mp4"]
    seen = []
    results = index_corpus(order, _settings(tmp_path / "cache"), workers=1, on_done=lambda i, r: seen.append(i))
    assert [r.status for r in results] == ["failed", "indexed", "failed", "failed"] and seen == [0, 1, 2, 3]
    assert all(r.reason and "\n" not in r.reason for r in results if r.status == "failed")
    assert results[1].duration == pytest.approx(4.0) and results[1].scenes >= 2 and results[1].cache_path


def test_bad_inputs_exit_2_before_any_work(corpus, tmp_path):
    missing = runner.invoke(app, ["index", str(corpus / "a.mp4"), str(tmp_path / "nope"), *CLIP])
    assert missing.exit_code == 2 and "no such file or folder" in missing.output
    workers = runner.invoke(app, ["index", str(corpus), "--workers", "0", *CLIP])
    assert workers.exit_code == 2 and "--workers must be at least 1" in workers.output


def test_missing_ray_says_how_to_install_it(corpus, tmp_path, monkeypatch):
    monkeypatch.setitem(sys.modules, "ray", None)  # what `import ray` does where it is not installed
    with pytest.raises(UsageError, match=r"pip install 'vagent\[ray\]'"):
        index_corpus_ray([corpus / "a.mp4"], _settings(tmp_path))
    result = runner.invoke(app, ["index", str(corpus / "a.mp4"), "--cache-dir", str(tmp_path), *CLIP, "--ray"])
    assert result.exit_code == 2 and "pip install 'vagent[ray]'" in result.output


def _entries(cache: Path) -> dict[str, dict]:
    """Cache entries by name, manifests without the build timings."""
    out = {}
    for entry in sorted(p for p in cache.iterdir() if p.is_dir()):
        manifest = json.loads((entry / "manifest.json").read_text())
        manifest["stats"].pop("build_seconds")
        out[entry.name] = {k: v for k, v in manifest.items() if k != "checksum"}
    return out


@pytest.mark.slow
def test_ray_tasks_write_the_same_cache_as_processes(corpus, tmp_path):
    ray = pytest.importorskip("ray", reason="pip install 'vagent[ray]'")
    order = [corpus / "a.mp4", corpus / "broken.mp4", corpus / "sub" / "b.mkv"]
    local = [index_video(p, _settings(tmp_path / "local")) for p in order]
    ray.init(num_cpus=1, include_dashboard=False, log_to_driver=False)  # one worker: the same tasks, half the start-up work
    try:
        results = index_corpus_ray(order, _settings(tmp_path / "ray"))
    finally:
        ray.shutdown()
    assert [r.status for r in results] == ["indexed", "failed", "indexed"]
    assert results[1].reason == local[1].reason
    assert _entries(tmp_path / "ray") == _entries(tmp_path / "local") and len(_entries(tmp_path / "ray")) == 2
