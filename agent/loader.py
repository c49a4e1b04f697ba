"""Turn a ``--model`` value into a policy: ``scripted``, ``tiny``, an HTTP URL, a Hub id or a path."""

from __future__ import annotations

from dataclasses import dataclass, field
from typing import Any

from vagent.agent.policy import Policy
from vagent.errors import ModelLoadError


@dataclass
class Sampling:
    """Sampling parameters shared by the model-backed policies."""

    temperature: float = 0.7
    top_p: float = 0.9
    max_new_tokens: int = 512
    seed: int | None = None
    extra: dict[str, Any] = field(default_factory=dict)


def load_policy(spec: str | None, sampling: Sampling | None = None, server_model: str | None = None) -> tuple[Policy, str | None]:
    """The policy named by ``spec``, and a one-line notice when a fallback was taken.

    ``None`` means the default transformers model, falling back to ``scripted`` (with a
    notice) when it cannot be loaded. ``tiny`` builds (once) and loads a tiny random
    Qwen3-VL checkpoint. ``http(s)://…`` is an OpenAI-compatible server (``server_model``
    names the model there). Anything else is a Hub id or a local checkpoint path.
    Raises :class:`ModelLoadError` when an explicitly requested model cannot be loaded.
    """
    sampling = sampling or Sampling()
    if spec == "scripted":
        from vagent.agent.scripted import ScriptedPolicy

        return ScriptedPolicy(seed=sampling.seed), None
    if spec and spec.startswith(("http://", "https://")):
        from vagent.agent.openai_policy import OpenAIPolicy

        return (
            OpenAIPolicy(
                base_url=spec,
                model=server_model or "default",
                temperature=sampling.temperature,
                top_p=sampling.top_p,
                max_tokens=sampling.max_new_tokens,
            ),
            None,
        )
    from vagent.agent.hf_policy import DEFAULT_MODEL, TransformersPolicy

    kwargs = dict(
        temperature=sampling.temperature,
        top_p=sampling.top_p,
        max_new_tokens=sampling.max_new_tokens,
        seed=sampling.seed,
    )
    if spec == "tiny":
        from vagent.agent.tiny_model import tiny_model_path

        return TransformersPolicy(str(tiny_model_path()), **kwargs), None
    if spec:
        return TransformersPolicy(spec, **kwargs), None
    try:
        return TransformersPolicy(DEFAULT_MODEL, **kwargs), None
    except ModelLoadError as exc:
        from vagent.agent.scripted import ScriptedPolicy

        return ScriptedPolicy(seed=sampling.seed), f"{exc} Falling back to the scripted policy."
