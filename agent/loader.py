"""Turn a ``--model`` value into a policy: ``scripted``, ``scripted-no-tools``, ``tiny``, an HTTP URL, a Hub id or a path."""

from __future__ import annotations

from dataclasses import dataclass

from vagent.agent.policy import Policy
from vagent.errors import ModelLoadError


@dataclass
class Sampling:
    """Sampling parameters shared by the model-backed policies."""

    temperature: float | None = None
    """None: 0.7 for model-backed policies, 0 (deterministic) for the scripted one."""
    top_p: float = 0.9
    max_new_tokens: int = 512
    seed: int | None = None


def _model_temperature(sampling: Sampling) -> float:
    return 0.7 if sampling.temperature is None else sampling.temperature


def load_policy(spec: str | None, sampling: Sampling | None = None, server_model: str | None = None, *,
                connect_timeout: float | None = None, read_timeout: float | None = None) -> tuple[Policy, str | None]:
    """The policy named by ``spec``, and a one-line notice when a fallback was taken.

    ``scripted`` is the tool-using baseline; ``scripted-no-tools`` the same policy answering
    from the overview frames only (the baseline that shows what the tools add).
    ``None`` means the default transformers model, falling back to ``scripted`` (with a
    notice) when it cannot be loaded. ``tiny`` builds (once) and loads a tiny random
    Qwen3-VL checkpoint. ``http(s)://…`` is an OpenAI-compatible server (``server_model``
    names the model there; ``connect_timeout`` / ``read_timeout`` bound its requests, defaults of
    :class:`~vagent.agent.openai_policy.OpenAIPolicy` when None; it is asked for ``/models`` before
    this returns, so a server that cannot be reached or does not answer fails in seconds, not at
    its first turn). Anything else is a Hub id or a local checkpoint path.
    Raises :class:`ModelLoadError` when an explicitly requested model cannot be loaded, and
    :class:`~vagent.agent.openai_policy.PolicyError` when a server does not answer.
    """
    sampling = sampling or Sampling()
    if spec in ("scripted", "scripted-no-tools"):
        from vagent.agent.scripted import ScriptedPolicy

        policy = ScriptedPolicy(seed=sampling.seed, temperature=sampling.temperature or 0.0, use_tools=spec == "scripted")
        return policy, None
    if spec and spec.startswith(("http://", "https://")):
        from vagent.agent.openai_policy import CONNECT_TIMEOUT, OpenAIPolicy

        server = OpenAIPolicy(
            base_url=spec,
            model=server_model or "default",
            temperature=_model_temperature(sampling),
            top_p=sampling.top_p,
            max_tokens=sampling.max_new_tokens,
            connect_timeout=CONNECT_TIMEOUT if connect_timeout is None else connect_timeout,
            read_timeout=read_timeout,
        )
        server.check()
        return server, None
    from vagent.agent.hf_loading import DEFAULT_MODEL
    from vagent.agent.hf_policy import TransformersPolicy

    kwargs = dict(
        temperature=_model_temperature(sampling),
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

        fallback = ScriptedPolicy(seed=sampling.seed, temperature=sampling.temperature or 0.0)
        return fallback, f"{exc} Falling back to the scripted policy."
