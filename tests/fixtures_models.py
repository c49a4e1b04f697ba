"""Model fixtures: the tiny random Qwen3-VL checkpoint, built once per test session.

Loaded by ``tests/conftest.py`` (``pytest_plugins``). The checkpoint goes to ``$VAGENT_CACHE_DIR`` when
set (so CI can keep it between runs), else to the session's temporary folder.
"""

from __future__ import annotations

import os
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")


@pytest.fixture(scope="session")
def tiny_model_dir(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """Folder of the tiny Qwen3-VL checkpoint (model + processor, as ``save_pretrained`` writes them)."""
    import torch

    from vagent.agent.tiny_model import tiny_model_path

    torch.set_num_threads(1)
    cache = os.environ.get("VAGENT_CACHE_DIR") or tmp_path_factory.getbasetemp() / "vagent-cache"
    return tiny_model_path(cache)
