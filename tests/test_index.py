"""tools/clip.py and tools/index.py: one-pass build, search, disk cache, memo, offline weights."""

from __future__ import annotations

import json
import subprocess
import sys
import time
from concurrent.futures import ThreadPoolExecutor
from pathlib import Path

import numpy as np
import pytest

from vagent.errors import ModelLoadError, VagentError
from vagent.tools import clip as clip_module
from vagent.tools import index as index_module
from vagent.tools import index_cache
from vagent.tools.clip import ClipEmbedder, get_embedder
from vagent.tools.index import IndexSettings, build_count, build_index, clear_memo, load_or_build
from vagent.tools.video import Video


@pytest.fixture(autouse=True)
def _fresh_memo():
    clear_memo()
    yield
    clear_memo()


def test_build_scenes_samples_and_duplicates(scene_video, random_clip_settings):
    progress: list[tuple[float, float]] = []
    index = build_index(scene_video.path, random_clip_settings, progress=lambda d, t: progress.append((d, t)))
    assert index.visual_search_error is None
    starts = [a for a, _ in index.scenes]
    assert starts[0] == 0.0 and len(index.scenes) == 3
    assert starts[1:] == pytest.approx([4.0, 8.0], abs=0.11)
    assert index.scenes[-1][1] == pytest.approx(index.info.end)
    # 12 candidates at 1 fps; each picture is held 2 s, so every other one is a duplicate
    assert index.stats["samples"] == 12
    assert index.stats["skipped_duplicates"] == 6
    assert index.times.tolist() == pytest.approx([0, 2, 4, 6, 8, 10])
    assert index.embeddings.shape == (6, 384) and index.embeddings.dtype == np.float32
    assert np.linalg.norm(index.embeddings, axis=1) == pytest.approx(np.ones(6), abs=1e-5)
    assert len(index.thumbnails) == 6 and index.thumbnail(0).image.size == (160, 96)  # never enlarged
    assert progress[-1] == (index.info.duration, index.info.duration)
    assert all(b[0] >= a[0] for a, b in zip(progress, progress[1:]))


def test_search_maps_faiss_ids_to_times(scene_video, random_clip_settings):
    index = build_index(scene_video.path, random_clip_settings)  # frames 0, 2, ..., 10 s
    # random CLIP weights see the scene colour, not the bit cells: rows pair up by scene
    hits = index.search_vector(index.embeddings[4], top_k=2)
    assert len(hits) == 1 and (hits[0].start, hits[0].end) == (8.0, index.info.end)
    assert hits[0].best_time in (8.0, 10.0) and hits[0].score == pytest.approx(1.0, abs=1e-4)
    hits = index.search_vector(index.embeddings[0], top_k=3)
    assert (hits[0].start, hits[0].end) == (0.0, 4.0) and hits[0].best_time in (0.0, 2.0)
    assert hits[1].start in (8.0, 10.0) and hits[1].score < hits[0].score
    hits = index.search("a red square", top_k=3)
    assert 1 <= len(hits) <= 3
    assert all(0 <= h.start <= h.best_time < h.end <= index.info.end for h in hits)
    assert [h.score for h in hits] == sorted((h.score for h in hits), reverse=True)
    every = index.search("anything", top_k=6)  # all frames are hits: adjacent ones merge
    assert len(every) == 1 and (every[0].start, every[0].end) == (0.0, index.info.end)


def test_cache_reuse_and_memo(scene_video, random_clip_settings):
    before = build_count()
    first = load_or_build(scene_video.path, random_clip_settings)
    assert not first.from_cache and build_count() == before + 1
    with ThreadPoolExecutor(4) as pool:  # G environments over one video share one index
        same = list(pool.map(lambda _: load_or_build(scene_video.path, random_clip_settings), range(8)))
    assert all(s is first for s in same) and build_count() == before + 1
    clear_memo()
    again = load_or_build(scene_video.path, random_clip_settings)
    assert again.from_cache and build_count() == before + 1
    assert again.scenes == first.scenes and again.times.tolist() == first.times.tolist()
    assert np.array_equal(again.embeddings, first.embeddings) and again.thumbnails == first.thumbnails
    assert again.info == first.info


def _cache_dir(settings: IndexSettings, path: Path) -> Path:
    return settings.resolved_cache_dir() / f"{index_module.content_hash(path)}-{settings.key()}"


@pytest.mark.parametrize("damage", ["embeddings", "manifest_missing", "manifest_truncated", "settings"])
def test_damaged_cache_is_rebuilt(scene_video, random_clip_settings, damage):
    load_or_build(scene_video.path, random_clip_settings)
    directory = _cache_dir(random_clip_settings, scene_video.path)
    manifest = directory / "manifest.json"
    if damage == "embeddings":
        data = bytearray((directory / "embeddings.npy").read_bytes())
        data[-10] ^= 0xFF
        (directory / "embeddings.npy").write_bytes(bytes(data))
    elif damage == "manifest_missing":  # a build that died before its manifest
        manifest.unlink()
    elif damage == "manifest_truncated":
        manifest.write_bytes(manifest.read_bytes()[:100])
    else:
        content = json.loads(manifest.read_text())
        content["settings"]["embed_fps"] = 99
        manifest.write_text(json.dumps(content))
    clear_memo()
    before = build_count()
    rebuilt = load_or_build(scene_video.path, random_clip_settings)
    assert not rebuilt.from_cache and build_count() == before + 1
    clear_memo()
    assert load_or_build(scene_video.path, random_clip_settings).from_cache


def test_leftover_temp_dir_is_ignored(scene_video, random_clip_settings):
    root = random_clip_settings.resolved_cache_dir()
    root.mkdir(parents=True, exist_ok=True)
    (root / ".tmp-half-written").mkdir()
    (root / ".tmp-half-written" / "thumbs.bin").write_bytes(b"partial")
    assert not load_or_build(scene_video.path, random_clip_settings).from_cache


def test_settings_change_the_key(tmp_path):
    a, b = IndexSettings(), IndexSettings(embed_fps=2.0)
    assert a.key() != b.key() and a.key() == IndexSettings(cache_dir=tmp_path).key()
    with pytest.raises(ValueError):
        IndexSettings(embed_fps=0)


def test_cache_dir_from_env(monkeypatch, tmp_path):
    monkeypatch.setenv("VAGENT_CACHE_DIR", str(tmp_path / "here"))
    assert IndexSettings().resolved_cache_dir() == tmp_path / "here"


def test_offline_named_weights_turn_visual_search_off(scene_video, tmp_path):
    started = time.perf_counter()
    settings = IndexSettings(clip_model="ViT-B-32", clip_pretrained="openai", cache_dir=tmp_path)
    index = load_or_build(scene_video.path, settings)
    assert time.perf_counter() - started < 20
    message = index.visual_search_error
    assert message and message.startswith("visual search is off") and "\n" not in message
    assert "local checkpoint path" in message and "network" in message
    assert len(index.scenes) == 3 and len(index.thumbnails) == 6 and index.embeddings is None
    with pytest.raises(VagentError, match="visual search is off"):
        index.search("anything")


def test_random_weights_need_consent(scene_video, tmp_path):
    with pytest.raises(ModelLoadError, match="allow_random"):
        ClipEmbedder("ViT-S-32", None)
    index = build_index(scene_video.path, IndexSettings(clip_model="ViT-S-32", clip_pretrained=None, cache_dir=tmp_path))
    assert index.visual_search_error and "random" in index.visual_search_error


def test_named_weights_fail_fast_offline(monkeypatch):
    clip_module._reachable.cache_clear()
    for offline in ("1", None):  # declared offline, or an unreachable network
        if offline:
            monkeypatch.setenv("HF_HUB_OFFLINE", offline)
        else:
            monkeypatch.delenv("HF_HUB_OFFLINE", raising=False)
            monkeypatch.setattr(clip_module.socket, "create_connection", _unreachable)
        clip_module._reachable.cache_clear()
        started = time.perf_counter()
        with pytest.raises(ModelLoadError) as err:
            ClipEmbedder("ViT-B-32", "openai")
        assert time.perf_counter() - started < 10
        assert "local checkpoint path" in str(err.value) and "ViT-B-32" in str(err.value)
    clip_module._reachable.cache_clear()
    with pytest.raises(ModelLoadError, match="tags"):
        ClipEmbedder("ViT-S-32", "no-such-tag")


def _unreachable(*args, **kwargs):
    raise OSError("network is unreachable")


def test_embedder_is_seeded_and_normalised():
    shared = get_embedder("ViT-S-32", None, True)
    fresh = ClipEmbedder("ViT-S-32", None, allow_random=True)
    texts = shared.embed_text(["a cat", "a dog"])
    assert texts.shape == (2, shared.dim) and np.allclose(np.linalg.norm(texts, axis=1), 1, atol=1e-5)
    assert np.allclose(fresh.embed_text("a cat"), texts[:1], atol=1e-5)
    assert shared.embed_images([]).shape == (0, shared.dim)


@pytest.mark.slow
def test_local_checkpoint_path(tmp_path):
    import torch

    shared = get_embedder("ViT-S-32", None, True)
    checkpoint = tmp_path / "clip.pt"
    torch.save(shared.model.state_dict(), checkpoint)
    local = ClipEmbedder("ViT-S-32", str(checkpoint))
    assert not local.is_random
    assert np.allclose(local.embed_text("a cat"), shared.embed_text("a cat"), atol=1e-5)


_WORKER = """
import json, sys
from vagent.tools.index import IndexSettings, build_count, load_or_build
s = IndexSettings(clip_model="ViT-S-32", clip_pretrained=None, allow_random_clip=True, cache_dir=sys.argv[2])
index = load_or_build(sys.argv[1], s)
print(json.dumps({"built": build_count(), "times": index.times.tolist(), "scenes": index.scenes}))
"""


@pytest.mark.slow
def test_two_processes_index_one_video(scene_video, tmp_path):
    cmd = [sys.executable, "-c", _WORKER, str(scene_video.path), str(tmp_path / "cache")]
    procs = [subprocess.Popen(cmd, stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True) for _ in range(2)]
    results = []
    for proc in procs:
        out, err = proc.communicate(timeout=300)
        assert proc.returncode == 0, err
        results.append(json.loads(out.strip().splitlines()[-1]))
    assert sorted(r["built"] for r in results) == [0, 1]
    assert results[0]["times"] == results[1]["times"] and results[0]["scenes"] == results[1]["scenes"]
    assert [p.name for p in (tmp_path / "cache").iterdir() if p.name.startswith(".tmp")] == []


def test_real_clip_index(bikes, tmp_path):
    settings = IndexSettings(clip_pretrained=None, clip_model="ViT-S-32", allow_random_clip=True, cache_dir=tmp_path)
    index = load_or_build(bikes, settings)
    assert index.times.tolist() == pytest.approx(list(range(10)))
    assert len(index.scenes) >= 2 and index.scenes[0][0] == 0.0
    assert all(a < b for a, b in index.scenes) and index.scenes[-1][1] == pytest.approx(10.0, abs=0.05)
    assert index.stats["frames_decoded"] == 250


def _rewrite_manifest(directory: Path, change, *, recompute_checksum: bool) -> None:
    manifest_path = directory / "manifest.json"
    manifest = json.loads(manifest_path.read_text())
    manifest = change(manifest)
    if recompute_checksum and isinstance(manifest, dict):
        manifest["checksum"] = index_cache._manifest_checksum(manifest)
    manifest_path.write_text(json.dumps(manifest))


def _past_the_end(manifest):
    manifest["times"][-1] = manifest["info"]["duration"] + 100.0
    return manifest


UNTRUSTED = {
    "list": (lambda m: [], False, "manifest is a JSON list"),
    "null": (lambda m: None, False, "manifest is a JSON NoneType"),
    "number": (lambda m: 7, False, "manifest is a JSON int"),
    "edited_times": (_past_the_end, False, "manifest checksum differs"),
    "edited_times_new_checksum": (_past_the_end, True, "a frame time lies outside the video"),
    "scenes_not_pairs": (lambda m: {**m, "scenes": [[0.0]]}, True, "scenes are not a list of [start, end] pairs"),
    "thumb_sizes_strings": (lambda m: {**m, "thumb_sizes": ["1"] * len(m["times"])}, True, "thumbnail sizes"),
    "info_missing": (lambda m: {k: v for k, v in m.items() if k != "info"}, True, "video info fields differ"),
    "other_video": (lambda m: {**m, "content_hash": "0" * 32}, True, "belongs to another video"),
    "old_version": (lambda m: {**m, "version": 1}, True, "cache version 1"),
}


@pytest.mark.parametrize("damage", list(UNTRUSTED))
def test_untrusted_manifest_is_rebuilt_with_a_one_line_notice(scene_video, random_clip_settings, damage, caplog):
    change, recompute, reason = UNTRUSTED[damage]
    load_or_build(scene_video.path, random_clip_settings)
    directory = _cache_dir(random_clip_settings, scene_video.path)
    _rewrite_manifest(directory, change, recompute_checksum=recompute)
    clear_memo()
    before = build_count()
    with caplog.at_level("WARNING", logger="vagent.tools.index"):
        rebuilt = load_or_build(scene_video.path, random_clip_settings)
    assert not rebuilt.from_cache and build_count() == before + 1
    assert rebuilt.times[-1] <= rebuilt.info.end
    notices = [r.getMessage() for r in caplog.records if r.name == "vagent.tools.index"]
    assert len(notices) == 1 and "\n" not in notices[0] and reason in notices[0], notices
    assert "cannot be trusted" in notices[0] and "rebuilding" in notices[0]
    clear_memo()
    assert load_or_build(scene_video.path, random_clip_settings).from_cache  # the rebuilt entry is trusted


@pytest.mark.parametrize("stray", ["file", "link"])
def test_index_folder_replaced_by_a_file_is_replaced(scene_video, random_clip_settings, tmp_path, stray, caplog):
    load_or_build(scene_video.path, random_clip_settings)
    directory = _cache_dir(random_clip_settings, scene_video.path)
    import shutil

    shutil.rmtree(directory)
    if stray == "file":
        directory.write_text("not an index")
    else:
        (tmp_path / "elsewhere").mkdir()
        directory.symlink_to(tmp_path / "elsewhere")
    clear_memo()
    with caplog.at_level("WARNING", logger="vagent.tools.index"):
        rebuilt = load_or_build(scene_video.path, random_clip_settings)
    assert not rebuilt.from_cache and any("not a folder" in r.getMessage() for r in caplog.records)
    assert directory.is_dir() and not directory.is_symlink() and (directory / "manifest.json").is_file()
    assert list((tmp_path / "elsewhere").iterdir()) == [] if stray == "link" else True
    clear_memo()
    assert load_or_build(scene_video.path, random_clip_settings).from_cache


def test_unusable_cache_folder_indexes_in_memory(scene_video, random_clip_settings, tmp_path, caplog):
    blocker = tmp_path / "a-file"
    blocker.write_text("x")
    settings = IndexSettings(clip_model="ViT-S-32", clip_pretrained=None, allow_random_clip=True, cache_dir=blocker / "cache")
    with caplog.at_level("WARNING", logger="vagent.tools.index"):
        index = load_or_build(scene_video.path, settings)
    assert len(index.times) and not index.from_cache
    assert any("not usable" in r.getMessage() and "without a cache" in r.getMessage() for r in caplog.records)


def test_clip_runs_on_a_visible_gpu_unless_told_otherwise(monkeypatch):
    """CLIP picks cuda when torch sees a GPU (``vagent index --ray-gpus`` relies on it), and
    $VAGENT_CLIP_DEVICE overrides; the embedder is shared per device."""
    import torch

    from vagent.tools import clip as clip_module

    monkeypatch.delenv("VAGENT_CLIP_DEVICE", raising=False)
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert clip_module.clip_device() == "cuda"
    monkeypatch.setattr(torch.cuda, "is_available", lambda: False)
    assert clip_module.clip_device() == "cpu"
    monkeypatch.setenv("VAGENT_CLIP_DEVICE", "cpu")
    monkeypatch.setattr(torch.cuda, "is_available", lambda: True)
    assert clip_module.clip_device() == "cpu"
    embedder = clip_module.get_embedder("ViT-S-32", None, allow_random=True)
    assert embedder.device == "cpu" and clip_module.get_embedder("ViT-S-32", None, allow_random=True) is embedder


def test_the_in_process_memo_is_bounded(scene_video, text_video, random_clip_settings, monkeypatch):
    """Past MAX_MEMO videos the least recently used index leaves memory; it comes back from disk."""
    from vagent.tools import index as index_module

    monkeypatch.setattr(index_module, "MAX_MEMO", 1)
    first = load_or_build(scene_video.path, random_clip_settings)
    assert load_or_build(scene_video.path, random_clip_settings) is first
    load_or_build(text_video.path, random_clip_settings)
    assert len(index_module._MEMO) == 1
    built = build_count()
    back = load_or_build(scene_video.path, random_clip_settings)
    assert back is not first and back.from_cache and build_count() == built
