"""The vagent agent as an lmms-eval model (``pip install 'vagent[lmms]'``; docs/serve.md).

lmms-eval finds it through the ``lmms_eval.models`` entry point (:mod:`vagent.lmms_entry`), so::

    lmms-eval --model vagent --model_args policy=scripted,max_turns=8 --tasks videomme

runs the agent (the same episode, tools and test-time scaling as ``vagent ask``) on each request:
the video is the request's first video (``ChatMessages.extract_media()``), the question is its text,
and lettered option lines (``A. ...``) become the question's options. The settings that move scores
are resolved once, logged, written to ``trace_dir/settings.json`` when ``trace_dir`` is given, and
kept with every trace there.
"""

from __future__ import annotations

import json
import re
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from lmms_eval.api.model import lmms
from lmms_eval.protocol import ChatMessages
from loguru import logger

_OPTION = re.compile(r"^\s*\(?([A-Z])[\)\.:]\s+(\S.*)$")


def split_options(text: str) -> tuple[str, list[str] | None]:
    """The question without its lettered option lines, and the options (None when fewer than two, or not A, B, ...).

    >>> split_options("Which colour?\\nA. red\\nB) blue\\nAnswer with the letter.")
    ('Which colour?\\nAnswer with the letter.', ['red', 'blue'])
    """
    question, options = [], []
    for line in text.splitlines():
        match = _OPTION.match(line)
        if match and ord(match.group(1)) - ord("A") == len(options):
            options.append(match.group(2).strip())
        else:
            question.append(line)
    if len(options) < 2:
        return text.strip(), None
    return "\n".join(question).strip(), options


@dataclass(frozen=True)
class Settings:
    """What the agent runs with; everything here can move a benchmark score, so all of it is recorded."""

    policy: str = "scripted"
    server_model: str | None = None
    strategy: str = "single"
    samples: int = 1
    verifier: str = "format"
    agree: int = 2
    max_turns: int = 8
    max_frames: int = 64
    max_seconds: float | None = None
    max_audio_seconds: float | None = None
    overview_frames: int = 4
    temperature: float | None = None
    seed: int | None = None
    max_new_tokens: int = 512
    clip_model: str = "ViT-B-32"
    clip_pretrained: str = "openai"
    embed_fps: float = 1.0
    speech: str | None = None
    speech_model: str | None = None


class VagentLMM(lmms):
    """lmms-eval chat model: each ``generate_until`` request is one ``vagent ask`` (answers only, no loglikelihood).

    Args (lmms-eval ``--model_args``): every field of :class:`Settings`, plus ``cache_dir`` (index cache)
    and ``trace_dir`` (a folder for ``settings.json`` and one trace per request).
    """

    is_simple = False

    def __init__(self, cache_dir: str | None = None, trace_dir: str | None = None, **args: Any) -> None:
        super().__init__()
        from vagent.agent.episode import Budget
        from vagent.agent.loader import Sampling, load_policy
        from vagent.agent.scaling import ScalingConfig
        from vagent.env.environment import EnvConfig
        from vagent.tools.index import IndexSettings
        from vagent.tools.registry import ToolLimits
        from vagent.tools.timed_text import SpeechSettings

        known = {name: args.pop(name) for name in list(args) if name in Settings.__dataclass_fields__}
        args.pop("batch_size", None), args.pop("device", None)  # lmms-eval passes these to every model
        if args:
            raise ValueError(f"unknown vagent model_args: {', '.join(sorted(args))} (known: {', '.join(Settings.__dataclass_fields__)}, "
                             "cache_dir, trace_dir)")
        self.settings = settings = Settings(**{name: _typed(name, value) for name, value in known.items()})
        sampling = Sampling(temperature=settings.temperature, seed=settings.seed, max_new_tokens=settings.max_new_tokens)
        self.policy, notice = load_policy(settings.policy, sampling, settings.server_model)
        if notice:
            logger.warning(notice)
        self.scaling = ScalingConfig(strategy=settings.strategy, samples=settings.samples, verifier=settings.verifier,
                                     agree=settings.agree)
        random = settings.clip_pretrained.lower() in ("random", "none")
        index = IndexSettings(clip_model=settings.clip_model, clip_pretrained=None if random else settings.clip_pretrained,
                              allow_random_clip=random, embed_fps=settings.embed_fps, cache_dir=cache_dir,
                              speech=SpeechSettings.from_env(settings.speech, settings.speech_model))
        budget = Budget(max_turns=settings.max_turns, max_frames=settings.max_frames, max_seconds=settings.max_seconds,
                        max_audio_seconds=settings.max_audio_seconds)
        self.config = EnvConfig(budget=budget, overview_frames=settings.overview_frames, index=index,
                                include_schemas=self.policy.include_schemas)
        self.trace_dir = Path(trace_dir) if trace_dir else None
        recorded = {**asdict(settings), "policy_name": self.policy.name, "tool_limits": asdict(ToolLimits())}
        logger.info(f"vagent settings: {json.dumps(recorded)}")
        if self.trace_dir:
            self.trace_dir.mkdir(parents=True, exist_ok=True)
            (self.trace_dir / "settings.json").write_text(json.dumps(recorded, indent=1) + "\n")

    def generate_until(self, requests: list[Any]) -> list[str]:
        return [self._answer(request) for request in requests]

    def _answer(self, request: Any) -> str:
        from vagent.agent.scaling import run_scaled
        from vagent.agent.trace import Trace
        from vagent.env.environment import start_question, tools_for

        _, doc_to_messages, _, doc_id, task, split = request.args
        chat = ChatMessages(messages=doc_to_messages(self.task_dict[task][split][doc_id]))
        _, videos, _ = chat.extract_media()
        if not videos:
            logger.warning(f"vagent: {task}/{doc_id} has no video; answering nothing")
            return ""
        video = videos[0]["path"] if isinstance(videos[0], dict) else videos[0]
        text = "\n".join(c.text for m in chat.messages for c in m.content if c.type == "text")
        question, options = split_options(text)
        tools = tools_for(video, self.config.index)

        def start(budget: Any, scale: int) -> Any:
            return start_question(tools, question, options, self.config, budget, scale, task_id=f"{task}-{doc_id}")

        result = run_scaled(start, self.policy, self.config.budget, self.scaling)
        if self.trace_dir:
            meta = {"task": task, "doc_id": doc_id, "video": str(video), "question": question, "settings": asdict(self.settings),
                    **result.summary()}
            Trace(result.trajectories, answer=result.answer, meta=meta).save(self.trace_dir / f"{task}-{doc_id}.jsonl")
        return result.answer or ""

    def loglikelihood(self, requests: list[Any]) -> list[tuple[float, bool]]:
        raise NotImplementedError("vagent answers by generation only (generate_until tasks)")

    def generate_until_multi_round(self, requests: list[Any]) -> list[str]:
        raise NotImplementedError("vagent does not run lmms-eval's multi-round tasks")


def _typed(name: str, value: Any) -> Any:
    """A model_args value as its Settings field's type (lmms-eval passes numbers and strings as it parsed them)."""
    kind = Settings.__dataclass_fields__[name].type
    if value is None or value == "None":
        return None
    if "int" in kind:
        return int(value)
    if "float" in kind:
        return float(value)
    return str(value)
