"""Tool workers: the five tools run in a pool of worker processes, so a batch's calls run at once.

In one process the tools take turns: one decoder per video behind a lock, one OCR engine, the
GIL. A :class:`ToolPool` runs them in ``workers`` processes instead, each with its own decoders,
indices, OCR engine and CLIP embedder (loaded there on first use). Processes come from
:func:`~vagent.tools.processes.worker_context`: forks of a clean fork server that has only
imported the libraries (or spawned), never forks of the caller: a fork of a process that holds
decoder, OCR or tokenizer threads can deadlock.

- :meth:`ToolPool.tools` gives a :class:`PooledTools` for a video: the face of
  :class:`~vagent.tools.registry.VideoTools` an :class:`~vagent.agent.episode.Episode` uses
  (``call``, ``overview``, ``schemas``, ``names``, ``video.info``), plus ``submit`` (a future).
- Calls for one video go to the same worker when it is free (warm decoder and caches); an idle
  worker takes another worker's waiting call rather than sit idle.
- At most ``max_pending`` calls wait; ``submit`` blocks beyond that (back-pressure, not memory).
- A call that outlives ``call_timeout_s`` or whose worker dies becomes an error observation; the
  worker is killed and a new one started. The caller never hangs.

``tool_workers=0`` wherever the setting appears means in-process tools (for debugging).

>>> with ToolPool(2) as pool:                                           # doctest: +SKIP
...     tools = pool.tools("clip.mp4", IndexSettings())
...     futures = [tools.submit("read_text", {"time": t}) for t in (1.0, 2.0, 3.0)]
...     [f.result().text for f in futures]
"""

from __future__ import annotations

import atexit
import logging
import os
import threading
from collections import OrderedDict
from concurrent.futures import Future
from dataclasses import dataclass, field
from pathlib import Path
from types import SimpleNamespace
from typing import Any

from vagent.tools.processes import Caller, cores, enter_worker, worker_context
from vagent.tools.registry import TOOL_NAMES, ToolLimits, VideoTools
from vagent.tools.video_index import IndexSettings
from vagent.types import Observation, TimedImage

log = logging.getLogger(__name__)

MAX_OPEN_PER_WORKER = 16
"""Videos a worker keeps open (decoder, index); the least recently used is closed beyond that."""


def default_tool_workers() -> int:
    """``tool_workers`` when none is set: ``$VAGENT_TOOL_WORKERS`` if set (0 = in-process), else one
    worker per core this process may use, at most 8."""
    value = os.environ.get("VAGENT_TOOL_WORKERS", "").strip()
    if value:
        if not value.isdigit():
            raise ValueError(f"VAGENT_TOOL_WORKERS must be a whole number >= 0, got {value!r}")
        return int(value)
    return max(1, min(cores(), 8))


_SHARED: dict[int, ToolPool] = {}
_SHARED_LOCK = threading.Lock()


def shared_pool(workers: int) -> ToolPool:
    """This process's pool of ``workers`` workers, started on first use and stopped at exit."""
    with _SHARED_LOCK:
        if workers not in _SHARED:
            if not _SHARED:
                atexit.register(_close_shared)
            _SHARED[workers] = ToolPool(workers)
        return _SHARED[workers]


def _close_shared() -> None:
    with _SHARED_LOCK:
        pools = list(_SHARED.values())
        _SHARED.clear()
    for pool in pools:
        pool.close()


class ToolWorkerError(RuntimeError):
    """A video could not be opened in a tool worker (the worker's own error, when it can be rebuilt)."""


# ---------------------------------------------------------------------------- inside a worker


def _worker_main(conn: Any, caller: Caller, threads: int) -> None:
    """A worker's loop until EOF: for each request ``("started", None)`` once its video is open (the call's
    timeout starts then), then ``("ok", value)`` or ``("error", exception parts)``."""
    enter_worker(caller, threads)
    opened: OrderedDict[tuple[Any, ...], VideoTools] = OrderedDict()
    conn.send(("ready", os.getpid()))
    while True:
        try:
            kind, path, settings, limits, payload = conn.recv()
        except (EOFError, OSError, KeyboardInterrupt):
            return
        try:
            key = (path, repr(settings), repr(limits))
            if key not in opened:
                opened[key] = VideoTools.open(path, settings, limits=limits)
                while len(opened) > MAX_OPEN_PER_WORKER:
                    opened.popitem(last=False)[1].close()
            opened.move_to_end(key)
            tools = opened[key]
            conn.send(("started", None))
            if kind == "open":
                value: Any = tools.video.info
            elif kind == "overview":
                value = tools.overview(payload)
            else:
                value = tools.call(*payload)
            reply: tuple[str, Any] = ("ok", value)
        except Exception as err:  # noqa: BLE001 - sent back to the caller, who raises or reports it
            reply = ("error", (type(err), err.args, dict(vars(err)), str(err)))
        try:
            conn.send(reply)
        except (OSError, ValueError):
            return


def _rebuild(parts: tuple[Any, ...]) -> BaseException:
    """The worker's exception from its class, args and attributes (``VideoError`` has keyword-only fields)."""
    cls, args, attributes, message = parts
    try:
        err = cls.__new__(cls)
        err.args = args
        err.__dict__.update(attributes)
        return err
    except Exception:  # noqa: BLE001 - an exception type that cannot be rebuilt: say what it said
        return ToolWorkerError(message)


# ---------------------------------------------------------------------------- the pool


@dataclass(eq=False)
class _Job:
    kind: str  # "open" | "call" | "overview"
    path: str
    settings: IndexSettings
    limits: ToolLimits
    payload: Any
    future: Future = field(default_factory=Future)

    @property
    def tool(self) -> str:
        return str(self.payload[0]) if self.kind == "call" else self.kind


class _Worker:
    """One worker process and the parent thread that feeds it one job at a time."""

    def __init__(self, pool: ToolPool, number: int):
        self.pool, self.number = pool, number
        self.process: Any = None
        self.conn: Any = None
        self.busy = self.ready = False
        self.running = False
        """The worker said it started the current job (its call timeout runs from then)."""
        self.restarts = 0
        self.thread = threading.Thread(target=self._serve, name=f"vagent-tool-worker-{number}", daemon=True)

    def launch(self) -> None:
        """Start the process (see :meth:`wait_ready`)."""
        parent, child = self.pool._context.Pipe()
        self.process = self.pool._context.Process(target=_worker_main, name=f"vagent-tool-worker-{self.number}",
                                                  args=(child, self.pool.caller, self.pool.threads_per_worker), daemon=True)
        self.process.start()
        child.close()
        self.conn, self.ready = parent, False

    def wait_ready(self) -> None:
        """Wait until the process has imported the tools (not counted in any call's time)."""
        try:
            if self.conn.poll(self.pool.open_timeout_s):
                self.conn.recv()
                self.ready = True
                return
        except (EOFError, OSError):
            pass
        raise ToolWorkerError(f"tool worker {self.number} did not start (exit code {self.process.exitcode})")

    def stop(self, kill: bool = False) -> None:
        """End the process: closing its pipe ends its loop; ``kill`` (or 2 s without exiting) kills it."""
        if self.process is None:
            return
        try:
            self.conn.close()
        except OSError:
            pass
        if kill:
            self.process.kill()
        self.process.join(timeout=2)
        if self.process.is_alive():
            self.process.kill()
            self.process.join(timeout=5)
        self.process = None

    def _serve(self) -> None:
        while (job := self.pool._take(self)) is not None:
            try:
                status, value = self._run(job)
            except ToolWorkerError as err:  # a replacement that could not start: report it, try again next job
                status, value = "error", f"{job.tool} failed: {err}"
            finally:
                self.running = False
                self.pool._done(self)
            if status == "ok":
                job.future.set_result(value)
            elif job.kind == "call":
                job.future.set_result(Observation.failure(value if isinstance(value, str) else f"{job.tool} failed: {value[3]}",
                                                          tool=job.tool))
            else:
                job.future.set_exception(ToolWorkerError(value) if isinstance(value, str) else _rebuild(value))

    def _run(self, job: _Job) -> tuple[str, Any]:
        """Send ``job`` and wait for its reply; a dead or hung worker is replaced and the job reported.

        The call's timeout starts once the worker has the video open (opening may build its index)."""
        if self.process is None or not self.process.is_alive():
            self.stop()
            self.launch()
        if not self.ready:  # a replacement launched after the last job
            self.wait_ready()
        limit = self.pool.open_timeout_s
        try:
            self.conn.send((job.kind, job.path, job.settings, job.limits, job.payload))
            while self.conn.poll(limit):
                status, value = self.conn.recv()
                if status != "started":
                    return status, value
                self.running = True
                limit = self.pool.call_timeout_s if job.kind != "open" else self.pool.open_timeout_s
            what = f"did not finish within {limit:g} s"
        except (EOFError, OSError) as err:
            what = f"stopped ({type(err).__name__})"
        if self.process is None:  # the pool was closed while the job ran
            return "error", f"{job.tool} failed: the tool pool was closed while it ran"
        self.process.join(timeout=0.5)
        code = self.process.exitcode
        what = what if code is None else f"stopped (exit code {code})"
        log.warning("tool worker %d %s during %s on %s; starting a new one", self.number, what, job.tool, job.path)
        self.stop(kill=True)
        self.restarts += 1
        self.launch()
        return "error", (f"{job.tool} failed: its tool worker {what} while running it (a new worker was started; "
                         "calling again may work)")


class ToolPool:
    """Tool calls run by ``workers`` worker processes (see the module docstring).

    Args:
        workers: worker processes (>= 1).
        call_timeout_s: longest a tool call or overview may take before its worker is replaced.
        open_timeout_s: longest opening a video may take (it may build the video's index).
        max_pending: calls that may wait for a worker before ``submit`` blocks (default 64 per worker).
    """

    def __init__(self, workers: int, *, call_timeout_s: float = 120.0, open_timeout_s: float = 1800.0,
                 max_pending: int | None = None):
        if isinstance(workers, bool) or not isinstance(workers, int) or workers < 1:
            raise ValueError(f"ToolPool needs at least 1 worker, got {workers!r} (tool_workers=0 means in-process tools)")
        if not call_timeout_s > 0 or not open_timeout_s > 0:
            raise ValueError(f"timeouts must be > 0 seconds, got {call_timeout_s}, {open_timeout_s}")
        self.call_timeout_s, self.open_timeout_s = float(call_timeout_s), float(open_timeout_s)
        self.max_pending = max_pending or 64 * workers
        self.threads_per_worker = max(1, cores() // workers)
        self._context, self.caller = worker_context(), Caller()
        self._cond = threading.Condition()
        self._pending: list[_Job] = []
        self._home: dict[str, int] = {}  # video path -> the worker that serves it when free
        self._closed = False
        self.in_flight = 0
        self.max_in_flight = 0
        """The most calls running at the same moment so far (for tests and benchmarks)."""
        self._workers = [_Worker(self, number) for number in range(workers)]
        for worker in self._workers:
            worker.launch()
        for worker in self._workers:
            worker.wait_ready()
            worker.thread.start()

    @property
    def workers(self) -> int:
        return len(self._workers)

    @property
    def running(self) -> int:
        """Jobs their worker has started (past opening the video: the call timeout applies), for tests."""
        return sum(worker.running for worker in self._workers)

    @property
    def restarts(self) -> int:
        """Workers replaced so far (crashed or past the timeout)."""
        return sum(worker.restarts for worker in self._workers)

    def worker_pids(self) -> list[int]:
        return [w.process.pid for w in self._workers if w.process is not None]

    def tools(self, video: str | Path, settings: IndexSettings | None = None,
              limits: ToolLimits | None = None) -> PooledTools:
        """The tools over ``video``, opened (and indexed) in a worker; raises what ``VideoTools.open`` raises."""
        path, settings, limits = str(Path(video).resolve()), settings or IndexSettings(), limits or ToolLimits()
        info = self._submit(_Job("open", path, settings, limits, None)).result()
        return PooledTools(self, path, settings, limits, info)

    def _submit(self, job: _Job) -> Future:
        with self._cond:
            while len(self._pending) >= self.max_pending and not self._closed:
                self._cond.wait()
            if self._closed:
                raise RuntimeError("the tool pool is closed")
            if job.path not in self._home:  # the worker with the fewest videos serves a new one
                load = [sum(1 for home in self._home.values() if home == w.number) for w in self._workers]
                self._home[job.path] = load.index(min(load))
            self._pending.append(job)
            self._cond.notify_all()
        return job.future

    def _take(self, worker: _Worker) -> _Job | None:
        """The next job for ``worker``: its own videos' first, else one whose worker is busy; None once closed."""
        with self._cond:
            while True:
                if self._closed:
                    return None
                chosen = next((job for job in self._pending if self._home[job.path] == worker.number), None)
                if chosen is None:
                    chosen = next((job for job in self._pending if self._workers[self._home[job.path]].busy), None)
                if chosen is not None:
                    self._pending.remove(chosen)
                    worker.busy = True
                    self.in_flight += 1
                    self.max_in_flight = max(self.max_in_flight, self.in_flight)
                    self._cond.notify_all()
                    return chosen
                self._cond.wait()

    def _done(self, worker: _Worker) -> None:
        with self._cond:
            worker.busy = False
            self.in_flight -= 1
            self._cond.notify_all()

    def close(self) -> None:
        """Stop the workers; waiting calls get an error observation (or error, for opens)."""
        with self._cond:
            if self._closed:
                return
            self._closed = True
            pending, self._pending = self._pending, []
            self._cond.notify_all()
        for job in pending:
            if job.kind == "call":
                job.future.set_result(Observation.failure(f"{job.tool} failed: the tool pool was closed", tool=job.tool))
            else:
                job.future.set_exception(ToolWorkerError("the tool pool was closed"))
        for worker in self._workers:
            worker.thread.join(timeout=self.call_timeout_s + 5)
            worker.stop()

    def __enter__(self) -> ToolPool:
        return self

    def __exit__(self, *exc: object) -> None:
        self.close()


class PooledTools:
    """The tools over one video, run in a :class:`ToolPool`: what an ``Episode`` needs of ``VideoTools``."""

    names: tuple[str, ...] = TOOL_NAMES
    schemas = VideoTools.schemas

    def __init__(self, pool: ToolPool, path: str, settings: IndexSettings, limits: ToolLimits, info: Any):
        self.pool, self.path, self.settings, self.limits = pool, path, settings, limits
        self.video = SimpleNamespace(info=info, path=Path(path))

    def submit(self, name: Any, arguments: Any = None) -> Future:
        """Start ``VideoTools.call(name, arguments)`` in a worker; the future's result is its ``Observation``."""
        return self.pool._submit(_Job("call", self.path, self.settings, self.limits, (name, arguments)))

    def call(self, name: Any, arguments: Any = None) -> Observation:
        """Run one tool call in a worker (never raises, like ``VideoTools.call``)."""
        return self.submit(name, arguments).result()

    def overview(self, count: int) -> list[TimedImage]:
        """``count`` frames evenly spaced across the video, decoded in a worker."""
        if count <= 0:
            return []
        return self.pool._submit(_Job("overview", self.path, self.settings, self.limits, count)).result()

    def close(self) -> None:
        """Nothing to release here: the workers keep their videos open for the next calls."""
