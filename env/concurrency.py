"""Tasks run at once: the one way ``vagent eval`` and ``vagent train collect`` spread tasks out.

A policy that takes concurrent requests (``concurrent = True``: an OpenAI-compatible server, a
local model with batched turns) runs tasks in threads, their tools in tool workers. A *portable*
policy (``portable = True``: the scripted policy at temperature 0, whose answers do not depend on
which process runs it) runs whole tasks in worker processes
(:func:`~vagent.tools.processes.worker_context`), each with its own copy of the run and its own
in-process tools. Any other policy runs one task at a time (:func:`task_workers` says so).

>>> with task_processes(2, (policy, config), preload=(__name__,)) as pool:   # doctest: +SKIP
...     run_concurrently(tasks, lambda task: pool.submit(in_task_process, work, task), 2, keep)
"""

from __future__ import annotations

from collections.abc import Callable
from concurrent.futures import FIRST_COMPLETED, Future, ProcessPoolExecutor, wait
from typing import Any, TypeVar

from vagent.tools.processes import Caller, cores, enter_worker, worker_context

Item = TypeVar("Item")


def task_workers(policy: Any, concurrency: int) -> tuple[int, str | None]:
    """How many tasks run at once for ``policy``, and a notice when that is fewer than asked."""
    if concurrency > 1 and not (getattr(policy, "concurrent", False) or getattr(policy, "portable", False)):
        return 1, (f"{policy.name} is an in-process policy that takes one request at a time: tasks run one after "
                   f"another (concurrency {concurrency} needs a server URL, a batched local model or a portable policy)")
    return concurrency, None


def threaded(policy: Any) -> bool:
    """Whether ``policy``'s tasks run in threads (else, when concurrent, in task processes)."""
    return bool(getattr(policy, "concurrent", False))


def run_concurrently(todo: list[Item], submit: Callable[[Item], Future], workers: int,
                     keep: Callable[[Item, Any], None]) -> None:
    """Keep ``workers`` items of ``todo`` running (``submit`` starts one); ``keep(item, result)`` is called
    in this thread as each finishes. After an error no new item starts; the running ones finish and
    are kept, then the error is raised."""
    queue = list(reversed(todo))
    error: BaseException | None = None
    running: dict[Future, Item] = {}
    while queue and len(running) < workers:
        item = queue.pop()
        running[submit(item)] = item
    while running:
        finished, _ = wait(running, return_when=FIRST_COMPLETED)
        for future in finished:
            item = running.pop(future)
            try:
                keep(item, future.result())
            except BaseException as exc:  # noqa: BLE001 - stop starting items; finish and keep the running ones
                error = error or exc
        while error is None and queue and len(running) < workers:
            item = queue.pop()
            running[submit(item)] = item
    if error is not None:
        raise error


_RUN: Any = None
"""In a task process: the run it was started with (:func:`task_processes`)."""


def task_processes(processes: int, run: Any, preload: tuple[str, ...] = ()) -> ProcessPoolExecutor:
    """``processes`` worker processes, each holding its own copy of ``run`` (pickled once per process)
    and its share of the cores; submit ``in_task_process(work, item)`` to call ``work(run, item)`` there."""
    return ProcessPoolExecutor(max_workers=processes, mp_context=worker_context(preload),
                               initializer=_start_task_process, initargs=(run, processes, Caller()))


def _start_task_process(run: Any, processes: int, caller: Caller) -> None:
    global _RUN
    enter_worker(caller, cores() // processes)
    _RUN = run


def in_task_process(work: Callable[[Any, Item], Any], item: Item) -> Any:
    """Run ``work(run, item)`` in a task process with the process's copy of the run."""
    assert _RUN is not None, "not in a task process started by task_processes"
    return work(_RUN, item)
