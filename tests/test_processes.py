"""Worker processes come from a preloaded fork server and still behave like freshly spawned ones."""

from __future__ import annotations

import multiprocessing
import os
import sys
from concurrent.futures import ProcessPoolExecutor

import pytest

from vagent.tools.processes import Caller, enter_worker, worker_context

pytestmark = pytest.mark.skipif("forkserver" not in multiprocessing.get_all_start_methods(),
                                reason="no fork server on this platform (workers are spawned there)")


def _what_the_worker_sees(name: str) -> dict:
    import torch

    return {"value": os.environ.get(name), "cwd": os.getcwd(), "torch_threads": torch.get_num_threads(),
            "open_clip_imported_before_the_job": "open_clip" in _modules_at_start}


_modules_at_start: set[str] = set()


def _start(caller: Caller) -> None:
    _modules_at_start.update(sys.modules)
    enter_worker(caller, 1)


def _run(name: str) -> dict:
    with ProcessPoolExecutor(1, mp_context=worker_context(), initializer=_start, initargs=(Caller(),)) as pool:
        return pool.submit(_what_the_worker_sees, name).result(timeout=120)


def test_a_worker_has_the_libraries_imported_and_the_callers_environment_of_now(tmp_path, monkeypatch):
    monkeypatch.setenv("VAGENT_TEST_SETTING", "before")
    first = _run("VAGENT_TEST_SETTING")  # starts the fork server (if this process has none yet)
    assert first["value"] == "before"
    assert first["open_clip_imported_before_the_job"], "the fork server did not preload open_clip"
    assert first["torch_threads"] == 1

    monkeypatch.setenv("VAGENT_TEST_SETTING", "after")  # changed after the server started
    monkeypatch.chdir(tmp_path)
    second = _run("VAGENT_TEST_SETTING")
    assert second["value"] == "after"
    assert os.path.samefile(second["cwd"], tmp_path)


def test_spawn_can_be_forced(monkeypatch):
    monkeypatch.setenv("VAGENT_START_METHOD", "spawn")
    assert worker_context().get_start_method() == "spawn"
    monkeypatch.delenv("VAGENT_START_METHOD")
    assert worker_context().get_start_method() == "forkserver"
