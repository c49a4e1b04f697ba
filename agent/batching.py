"""Micro-batching: calls made from several threads at once are served by one batched call.

Test-time scaling runs trajectories in threads (:mod:`vagent.agent.scaling`). With a local model,
each thread asking for its next turn separately would leave the accelerator doing one sequence
at a time; :class:`RequestBatcher` gathers the turns that are asked for at about the same moment
and hands them to one ``run_batch`` call (for :class:`~vagent.agent.hf_policy.TransformersPolicy`:
one left-padded ``model.generate``).

A caller waits for company only while other threads have been calling recently, and never longer
than ``max_wait_s``, so a single-threaded caller pays nothing.
"""

from __future__ import annotations

import threading
import time
from collections.abc import Callable, Hashable
from dataclasses import dataclass, field
from typing import Any, Generic, TypeVar

Item = TypeVar("Item")
Result = TypeVar("Result")


@dataclass(eq=False)  # requests compare by identity: two equal prompts are two requests
class _Request(Generic[Item]):
    item: Item
    key: Hashable
    done: threading.Event = field(default_factory=threading.Event)
    result: Any = None
    error: BaseException | None = None


class RequestBatcher(Generic[Item, Result]):
    """Serve ``submit(item)`` from many threads with as few ``run_batch(items)`` calls as possible.

    Args:
        run_batch: results for a list of items, in order; called from one thread at a time.
        max_batch: most items in one call.
        max_wait_s: longest a call waits for other threads' items before running.
        active_window_s: a thread counts as a fellow caller for this long after its last call.

    Items are only batched with items of the same ``key`` (e.g. the same tool schemas).
    """

    def __init__(
        self,
        run_batch: Callable[[list[Item]], list[Result]],
        *,
        max_batch: int = 16,
        max_wait_s: float = 0.05,
        active_window_s: float = 2.0,
    ):
        if max_batch < 1 or max_wait_s < 0:
            raise ValueError(f"max_batch must be >= 1 and max_wait_s >= 0 (got {max_batch}, {max_wait_s})")
        self.run_batch = run_batch
        self.max_batch = max_batch
        self.max_wait_s = max_wait_s
        self.active_window_s = active_window_s
        self.batches = 0
        """How many ``run_batch`` calls were made (for logs and tests)."""
        self._pending: list[_Request[Item]] = []
        self._last_call: dict[int, float] = {}
        self._running = False
        self._cond = threading.Condition()

    def _fellow_callers(self, now: float) -> int:
        """Threads that called within ``active_window_s`` (the current one included)."""
        self._last_call = {t: seen for t, seen in self._last_call.items() if now - seen <= self.active_window_s}
        return len(self._last_call)

    def submit(self, item: Item, key: Hashable = None) -> Result:
        """``run_batch([item, ...])``'s result for ``item``; blocks until it is ready."""
        request: _Request[Item] = _Request(item, key)
        with self._cond:
            now = time.monotonic()
            self._last_call[threading.get_ident()] = now
            self._pending.append(request)
            self._cond.notify_all()
            deadline = now + self.max_wait_s
            while not request.done.is_set():
                expected = min(self._fellow_callers(time.monotonic()), self.max_batch)
                ready = len(self._pending) >= expected or time.monotonic() >= deadline
                if not self._running and request in self._pending and ready:
                    batch = self._take(request)
                    self._running = True
                    break
                self._cond.wait(timeout=max(0.0, deadline - time.monotonic()) or None)
            else:
                return self._outcome(request)
        self._run(batch)
        return self._outcome(request)

    def _take(self, leader: _Request[Item]) -> list[_Request[Item]]:
        """The leader's request and the oldest pending ones with its key, at most ``max_batch``."""
        others = [r for r in self._pending if r.key == leader.key and r is not leader]
        batch = [leader, *others[: self.max_batch - 1]]
        self._pending = [r for r in self._pending if r not in batch]
        return batch

    def _run(self, batch: list[_Request[Item]]) -> None:
        try:
            results = self.run_batch([r.item for r in batch])
            if len(results) != len(batch):
                raise RuntimeError(f"run_batch returned {len(results)} results for {len(batch)} items")
            for request, result in zip(batch, results):
                request.result = result
        except BaseException as exc:  # every waiting caller gets the error, not a hang
            for request in batch:
                request.error = exc
        finally:
            with self._cond:
                self.batches += 1
                self._running = False
                for request in batch:
                    request.done.set()
                self._cond.notify_all()

    @staticmethod
    def _outcome(request: _Request[Item]) -> Any:
        if request.error is not None:
            raise request.error
        return request.result
