"""Index a whole corpus: many videos, in worker processes or as Ray tasks, one shared cache.

The unit of work is :func:`index_video`: one video in, one :class:`VideoResult` out (indexed,
reused from the cache, or failed with the reason); it never raises for a bad video, so one
broken file never stops the rest. :func:`index_corpus` runs it in ``workers`` processes
(``concurrent.futures`` in :func:`~vagent.tools.processes.worker_context`'s processes: never a fork
of a process holding torch or decoder state) and
:func:`index_corpus_ray` runs the very same function as Ray tasks (Ray's own scheduling,
retries and resource requests). Every path writes the same on-disk cache (``tools.index``:
keyed by content hash + settings, written atomically under a file lock), so workers, machines
and reruns share it and two copies of one video are built once.

>>> videos = find_videos(["clips/", "tasks.jsonl"])                       # doctest: +SKIP
>>> results = index_corpus(videos, IndexSettings(cache_dir="/shared/cache"), workers=4)  # doctest: +SKIP
>>> [r.status for r in results]                                           # doctest: +SKIP
['indexed', 'reused', 'failed']
"""

from __future__ import annotations

import queue
import time
from collections.abc import Callable, Iterable
from concurrent.futures import FIRST_COMPLETED, ProcessPoolExecutor, wait
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any, Literal

from vagent.errors import ConfigError, UsageError, VagentError
from vagent.tools.index import IndexSettings, build_count, load_or_build
from vagent.tools.processes import Caller, enter_worker, worker_context

VIDEO_SUFFIXES = (".mp4", ".mkv", ".webm", ".mov", ".avi", ".m4v", ".mpg", ".mpeg", ".ts", ".flv", ".wmv", ".3gp")
"""File endings taken as videos when a folder is given."""
RAY_MISSING = "Ray is not installed: pip install 'vagent[ray]' (or pip install ray) to index with --ray"

Status = Literal["indexed", "reused", "failed"]
Progress = Callable[[int, float, float], None]
"""``progress(position, done_seconds, total_seconds)`` for the video at ``position`` in the list."""


@dataclass
class VideoResult:
    """What became of one video: ``indexed`` (built now), ``reused`` (from the cache) or ``failed``."""

    video: str
    status: Status
    reason: str | None = None
    """Why it failed (one line), None otherwise."""
    duration: float = 0.0
    scenes: int = 0
    frames: int = 0
    """Frames embedded (or kept, without visual search)."""
    seconds: float = 0.0
    """Wall-clock seconds for this video, in its worker."""
    cache_path: str | None = None
    visual_search_error: str | None = None

    def to_dict(self) -> dict[str, Any]:
        return asdict(self)


def find_videos(inputs: Iterable[str | Path], task_videos: Callable[[Path], list[str]] | None = None) -> list[Path]:
    """The videos named by ``inputs``: video files, folders (searched recursively for
    :data:`VIDEO_SUFFIXES`) and task files (``.jsonl``: the videos their tasks name, read with
    ``task_videos``, which the CLI takes from :mod:`vagent.env.tasks`), in order, each once.
    Raises :class:`ConfigError` for an input that does not exist or names no video."""
    found: dict[str, Path] = {}
    for item in inputs:
        path = Path(item).expanduser()
        if path.is_dir():
            videos = sorted(p for p in path.rglob("*") if p.is_file() and p.suffix.lower() in VIDEO_SUFFIXES
                            and not any(part.startswith(".") for part in p.relative_to(path).parts))
            if not videos:
                raise ConfigError(f"{path}: no video files in this folder ({', '.join(VIDEO_SUFFIXES[:5])}, ...)")
        elif path.suffix.lower() == ".jsonl" and path.is_file() and task_videos is not None:
            videos = [Path(video) for video in task_videos(path)]
        elif path.is_file():
            videos = [path]
        else:
            raise ConfigError(f"{path}: no such file or folder")
        for video in videos:
            found.setdefault(str(video.resolve()), video)
    return list(found.values())


def index_video(path: str | Path, settings: IndexSettings, progress: Callable[[float, float], None] | None = None) -> VideoResult:
    """Index one video into the cache (or find it there); a failure is returned, never raised."""
    started = time.perf_counter()
    before = build_count()
    try:
        index = load_or_build(path, settings, progress=progress)
    except Exception as exc:  # noqa: BLE001 - any failure of one video is that video's result
        reason = " ".join((str(exc) if isinstance(exc, VagentError) and str(exc) else f"{type(exc).__name__}: {exc}").split())
        return VideoResult(str(path), "failed", reason=reason[:500], seconds=round(time.perf_counter() - started, 3))
    return VideoResult(
        str(path), "indexed" if build_count() > before else "reused",
        duration=index.info.duration, scenes=len(index.scenes), frames=len(index.times),
        seconds=round(time.perf_counter() - started, 3), cache_path=str(index.cache_path),
        visual_search_error=index.visual_search_error,
    )


def _worker_job(position: int, path: str, settings: IndexSettings, updates: Any) -> tuple[int, VideoResult]:
    """:func:`index_video` in a worker process, sending ``(position, done, total)`` progress."""
    last = [0.0]

    def progress(done: float, total: float) -> None:
        now = time.monotonic()
        if now - last[0] > 0.2 or done >= total:  # at most ~5 updates a second per video
            last[0] = now
            updates.put((position, done, total))

    updates.put((position, 0.0, 0.0))
    return position, index_video(path, settings, progress)


def _init_worker(caller: Caller) -> None:
    """One thread per library unless the caller set ``OMP_NUM_THREADS`` (N processes x all cores only thrash)."""
    threads = caller.environ.get("OMP_NUM_THREADS", "")
    enter_worker(caller, int(threads) if threads.isdigit() else 1)


def index_corpus(
    videos: list[str | Path],
    settings: IndexSettings,
    workers: int = 1,
    progress: Progress | None = None,
    on_done: Callable[[int, VideoResult], None] | None = None,
) -> list[VideoResult]:
    """Index ``videos`` with ``workers`` processes (1: in this process); results in input order.

    ``progress(position, done_s, total_s)`` reports each video as it decodes (``total_s`` is 0
    until the video is opened); ``on_done(position, result)`` as each finishes.
    """
    if workers < 1:
        raise UsageError(f"workers must be at least 1, got {workers}")
    results: list[VideoResult | None] = [None] * len(videos)

    def finished(position: int, result: VideoResult) -> None:
        results[position] = result
        if on_done:
            on_done(position, result)

    if workers == 1 or len(videos) <= 1:
        for position, video in enumerate(videos):
            callback = (lambda done, total, p=position: progress(p, done, total)) if progress else None
            finished(position, index_video(video, settings, callback))
        return results  # type: ignore[return-value]
    context = worker_context()
    with context.Manager() as manager:
        updates = manager.Queue()
        with ProcessPoolExecutor(max_workers=min(workers, len(videos)), mp_context=context,
                                 initializer=_init_worker, initargs=(Caller(),)) as pool:
            pending = {pool.submit(_worker_job, position, str(video), settings, updates): position
                       for position, video in enumerate(videos)}
            while pending:
                done, _ = wait(pending, timeout=0.2, return_when=FIRST_COMPLETED)
                _drain(updates, progress)
                for future in done:
                    position = pending.pop(future)
                    try:
                        finished(*future.result())
                    except Exception as exc:  # noqa: BLE001 - a worker that died (killed, out of memory)
                        finished(position, VideoResult(str(videos[position]), "failed",
                                                       reason=f"worker process failed: {type(exc).__name__}: {exc}"[:500]))
            _drain(updates, progress)
    return results  # type: ignore[return-value]


def _drain(updates: Any, progress: Progress | None) -> None:
    while True:
        try:
            position, done, total = updates.get_nowait()
        except (queue.Empty, OSError, EOFError):
            return
        if progress:
            progress(position, done, total)


def _ray() -> Any:
    try:
        import ray
    except ImportError:
        raise UsageError(RAY_MISSING) from None
    return ray


def index_corpus_ray(
    videos: list[str | Path],
    settings: IndexSettings,
    address: str | None = None,
    num_cpus: float = 1,
    num_gpus: float = 0,
    max_retries: int = 2,
    on_done: Callable[[int, VideoResult], None] | None = None,
) -> list[VideoResult]:
    """Index ``videos`` as Ray tasks running :func:`index_video`; results in input order.

    Connects to ``address`` (a running cluster: ``"auto"``, ``"ray://host:10001"``), starts a
    local Ray when it is None, or uses the Ray this process already initialised. Each task asks
    for ``num_cpus`` and ``num_gpus`` (e.g. 1 for CLIP on a GPU) and is retried ``max_retries``
    times if its worker dies. The cache folder (``settings.cache_dir``) must be storage every
    node sees (the videos too, at the same paths). Progress is per finished video.
    """
    ray = _ray()
    if not ray.is_initialized():
        ray.init(address=address, include_dashboard=False, log_to_driver=False)
    job = ray.remote(num_cpus=num_cpus, num_gpus=num_gpus, max_retries=max_retries)(index_video)
    refs = {job.remote(str(video), settings): position for position, video in enumerate(videos)}
    results: list[VideoResult | None] = [None] * len(videos)
    pending = list(refs)
    while pending:
        ready, pending = ray.wait(pending, num_returns=1)
        for ref in ready:
            position = refs[ref]
            try:
                result = ray.get(ref)
            except Exception as exc:  # noqa: BLE001 - a task that failed all its retries
                result = VideoResult(str(videos[position]), "failed", reason=f"ray task failed: {type(exc).__name__}: {exc}"[:500])
            results[position] = result
            if on_done:
                on_done(position, result)
    return results  # type: ignore[return-value]


def summary_line(results: list[VideoResult], wall_seconds: float) -> str:
    """``N videos: a indexed, b reused, c failed; X s of video in Y s (Z x realtime)``."""
    counts = {status: sum(r.status == status for r in results) for status in ("indexed", "reused", "failed")}
    video_seconds = sum(r.duration for r in results if r.status != "failed")
    speed = f" ({video_seconds / wall_seconds:.1f}x realtime)" if wall_seconds > 0 and video_seconds else ""
    return (f"{len(results)} video{'s' if len(results) != 1 else ''}: {counts['indexed']} indexed, {counts['reused']} reused from the cache, "
            f"{counts['failed']} failed; {video_seconds:.1f} s of video in {wall_seconds:.1f} s{speed}")
