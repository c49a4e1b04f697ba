"""Micro-batching of concurrent turns: the batcher alone, then a real tiny model under test-time scaling."""

from __future__ import annotations

import threading
import time
from concurrent.futures import ThreadPoolExecutor

import pytest

from vagent.agent.batching import RequestBatcher


class Recorder:
    """A ``run_batch`` that doubles numbers and remembers each batch it was given."""

    def __init__(self, delay: float = 0.0):
        self.batches: list[list[int]] = []
        self.delay = delay
        self.lock = threading.Lock()

    def __call__(self, items: list[int]) -> list[int]:
        with self.lock:
            self.batches.append(list(items))
        time.sleep(self.delay)
        return [2 * item for item in items]


def test_a_single_caller_never_waits():
    recorder = Recorder()
    batcher = RequestBatcher(recorder, max_wait_s=1.0)
    started = time.monotonic()
    assert [batcher.submit(i) for i in range(5)] == [0, 2, 4, 6, 8]
    assert time.monotonic() - started < 0.5  # no 1 s wait per call
    assert recorder.batches == [[0], [1], [2], [3], [4]] and batcher.batches == 5


def test_concurrent_callers_share_batches_and_get_their_own_results():
    recorder = Recorder(delay=0.05)
    batcher = RequestBatcher(recorder, max_batch=8, max_wait_s=0.2)

    def caller(offset: int) -> list[int]:
        return [batcher.submit(offset + turn) for turn in range(3)]

    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(caller, range(0, 800, 100)))
    assert results == [[2 * (offset + turn) for turn in range(3)] for offset in range(0, 800, 100)]
    assert sorted(i for batch in recorder.batches for i in batch) == sorted(o + t for o in range(0, 800, 100) for t in range(3))
    assert len(recorder.batches) < 24  # 24 turns in fewer calls
    assert max(len(batch) for batch in recorder.batches) > 1
    assert all(len(batch) <= 8 for batch in recorder.batches)


@pytest.mark.parametrize("max_batch", [1, 2])
def test_max_batch_caps_a_batch_and_every_caller_gets_its_result(max_batch):
    """More waiting callers than fit in one batch: whoever runs a batch is in it, nobody gets None."""
    recorder = Recorder(delay=0.02)
    batcher = RequestBatcher(recorder, max_batch=max_batch, max_wait_s=0.2)
    with ThreadPoolExecutor(8) as pool:
        assert list(pool.map(batcher.submit, range(16))) == [2 * i for i in range(16)]
    assert all(len(batch) <= max_batch for batch in recorder.batches)


def test_items_with_different_keys_are_never_mixed():
    recorder = Recorder(delay=0.02)
    batcher = RequestBatcher(recorder, max_wait_s=0.2)
    with ThreadPoolExecutor(6) as pool:
        results = list(pool.map(lambda i: batcher.submit(i, key=i % 2), range(6)))
    assert results == [0, 2, 4, 6, 8, 10]
    assert all(len({i % 2 for i in batch}) == 1 for batch in recorder.batches)


def test_an_error_reaches_every_caller_of_the_batch_and_the_batcher_recovers():
    calls = {"n": 0}

    def flaky(items: list[int]) -> list[int]:
        calls["n"] += 1
        if calls["n"] == 1:
            time.sleep(0.05)
            raise RuntimeError("device lost")
        return items

    batcher = RequestBatcher(flaky, max_wait_s=0.2)
    with ThreadPoolExecutor(4) as pool:
        futures = [pool.submit(batcher.submit, i) for i in range(4)]
        outcomes = []
        for future in futures:
            try:
                outcomes.append(future.result(timeout=5))
            except RuntimeError as exc:
                outcomes.append(str(exc))
    assert "device lost" in outcomes  # the failing batch's callers see the error, nobody hangs
    assert batcher.submit(7) == 7


def test_wrong_result_count_is_an_error_not_a_hang():
    batcher = RequestBatcher(lambda items: [], max_wait_s=0.0)
    with pytest.raises(RuntimeError, match="0 results for 1 items"):
        batcher.submit(1)


def test_bad_settings():
    with pytest.raises(ValueError):
        RequestBatcher(lambda items: items, max_batch=0)


def test_tiny_model_batches_the_turns_of_parallel_trajectories(tiny_model_dir, tmp_path):
    """Self-consistency with a local model: 4 trajectories' turns go through fewer generate calls."""
    from vagent.agent.episode import Budget, Episode
    from vagent.agent.hf_policy import TransformersPolicy
    from vagent.agent.scaling import ScalingConfig, run_scaled
    from vagent.env.synthetic import make_task
    from vagent.tools.index import IndexSettings
    from vagent.tools.registry import VideoTools

    task = make_task("count_cuts", 5, tmp_path, duration=4.0)
    tools = VideoTools.open(task.video, IndexSettings(clip_model="ViT-S-32", clip_pretrained=None, allow_random_clip=True,
                                                      cache_dir=tmp_path / "cache"))
    policy = TransformersPolicy(tiny_model_dir, max_new_tokens=8, seed=0, max_image_side=64, batch_size=8, batch_wait_s=0.5)

    def start(budget, scale):
        return Episode.start(tools, task.question, None, budget, overview_frames=1)

    result = run_scaled(start, policy, Budget(max_turns=2), ScalingConfig(strategy="self_consistency", samples=4, parallel=4))
    turns = sum(len(t.steps) for t in result.trajectories)
    assert policy.concurrent and len(result.trajectories) == 4 and turns >= 4
    assert policy.batches < turns  # turns of different trajectories shared generate calls

    sequential = TransformersPolicy(tiny_model_dir, max_new_tokens=8, seed=0, max_image_side=64)  # CPU default
    assert not sequential.concurrent
    config = ScalingConfig(strategy="self_consistency", samples=2, parallel=4)
    runs = [run_scaled(start, TransformersPolicy(tiny_model_dir, max_new_tokens=8, seed=0, max_image_side=64), Budget(max_turns=2), config)
            for _ in range(2)]
    texts = [[m["content"] for t in r.trajectories for m in t.messages if m["role"] == "assistant"] for r in runs]
    assert texts[0] == texts[1]  # one after another: a seeded run repeats exactly
    tools.close()
