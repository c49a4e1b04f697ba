"""Where vagent's worker processes come from: a fork server that has already imported the heavy libraries.

Tool workers (:mod:`vagent.tools.workers`), evaluation's task processes and corpus indexing run in
processes of their own. A *spawned* process starts an interpreter and imports torch, open_clip,
PyAV, transformers' schema helpers and vagent again: about 6 s of CPU on a 2-core machine, paid
by every process, which is what kept ``vagent eval --concurrency 2`` from beating one process.

:func:`worker_context` gives the ``forkserver`` start method instead, with :data:`PRELOAD`
imported once in the server: each worker is a fork of that server, so its imports are already
done. The server is started clean by :mod:`multiprocessing` (it is not a fork of the caller) and
only imports modules; it opens no video, OCR session, tokenizer or model, so the forked workers
hold none of the threads or locks that make forking a busy process deadlock. Models are still
loaded in each worker on first use. Where ``forkserver`` is missing (Windows), processes are
spawned as before. ``VAGENT_START_METHOD=spawn`` forces spawning (to compare, or to debug).

The server keeps the environment and working folder of the moment it starts, so a worker begins
with :func:`enter_worker`: the caller's :class:`Caller` state (environment variables and working
folder when the pool was made, as a spawned process would have them) and its share of the cores
(environment variables for libraries loaded later, ``threadpoolctl``/``torch`` for those the server
had loaded already). Settings a library read while the server imported it (torch's first thread
count, Hugging Face's offline flag) are those of the server's start.
"""

from __future__ import annotations

import multiprocessing
import os
import sys
from dataclasses import dataclass, field
from multiprocessing.context import BaseContext

PRELOAD = (
    "numpy", "av", "torch", "open_clip", "faiss", "transformers.utils.chat_template_utils",
    "vagent.tools.registry", "vagent.tools.clip", "vagent.tools.ocr", "vagent.tools.workers",
)
"""Modules the fork server imports for every worker (the tools' dependencies)."""

_preloaded: list[str] = []


def cores() -> int:
    """The cores this process may use (its CPU affinity where the platform has one)."""
    return len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)


def worker_context(extra_preload: tuple[str, ...] = ()) -> BaseContext:
    """The start method for vagent's worker processes: a preloaded fork server, else spawn.

    ``extra_preload`` adds the caller's modules (evaluation adds the agent's). The fork server is
    shared by the whole process and keeps the list it had when it started; a later caller's extra
    modules are then imported by each of its workers instead (slower, never wrong).
    """
    if (os.environ.get("VAGENT_START_METHOD", "").strip() == "spawn"
            or "forkserver" not in multiprocessing.get_all_start_methods()):
        return multiprocessing.get_context("spawn")
    context = multiprocessing.get_context("forkserver")
    wanted = [name for name in (*PRELOAD, *extra_preload) if name not in _preloaded]
    if wanted:
        _preloaded.extend(wanted)
        context.set_forkserver_preload(list(_preloaded))
    return context


@dataclass(frozen=True)
class Caller:
    """What a worker takes from the process that started it: environment variables and working folder."""

    environ: dict[str, str] = field(default_factory=lambda: dict(os.environ))
    cwd: str = field(default_factory=os.getcwd)


def enter_worker(caller: Caller, threads: int) -> None:
    """A worker's first step: the caller's environment and folder, and ``threads`` threads per library."""
    os.environ.clear()
    os.environ.update(caller.environ)
    try:
        os.chdir(caller.cwd)
    except OSError:  # the caller's folder is gone: absolute paths still work
        pass
    share_cores(threads)


def share_cores(threads: int) -> None:
    """Limit this worker process to ``threads`` threads per library (N workers x all cores only thrash)."""
    count = str(max(1, threads))
    for var in ("OMP_NUM_THREADS", "MKL_NUM_THREADS", "OPENBLAS_NUM_THREADS", "VAGENT_OCR_THREADS"):
        os.environ[var] = count
    from threadpoolctl import threadpool_limits  # BLAS/OpenMP pools the fork server already started

    threadpool_limits(limits=int(count))
    if "torch" in sys.modules:
        sys.modules["torch"].set_num_threads(int(count))
