"""vagent's tools as verl ``BaseTool``s, for users who keep verl's own ``ToolAgentLoop``.

verl's ``ToolAgentLoop`` runs ``create`` → ``execute`` → ``release`` for every call, so what lives
across a trajectory (its video, index and frame budget) hangs off the ``agent_data`` verl passes to
``execute``: one :class:`~vagent.agent.episode.Episode` per trajectory, counting frames with the
same rule as inference (:meth:`Episode.run_call`, the budget notice once frames run out). The
video comes from the row's ``tools_kwargs`` (``create_kwargs: {video: ...}``, written by
``vagent data export verl``); the index is built once per video and process (``tools_for``).
Image results are ``ToolResponse.image`` (PIL), the text the model reads is ``ToolResponse.text``.
Turn limits are verl's own (``multi_turn.max_assistant_turns``).

:func:`write_tool_config` writes the YAML verl reads (``actor_rollout_ref.rollout.multi_turn.tool_config_path``).
"""

from __future__ import annotations

import asyncio
import os
from pathlib import Path
from typing import Any
from uuid import uuid4

from verl.tools.base_tool import BaseTool
from verl.tools.schemas import OpenAIFunctionToolSchema, ToolResponse

from vagent.agent.episode import Budget, Episode, EpisodeState, budget_message
from vagent.agent.messages import text_of_blocks
from vagent.env.environment import EnvConfig, tools_for
from vagent.files import write_lines_atomic
from vagent.tools.registry import TOOL_NAMES, VideoTools

__all__ = ["VagentTool", "env_config_from", "write_tool_config"]

SESSION = "_vagent_episode"
"""The ``agent_data`` attribute holding a trajectory's episode (verl's ToolAgentLoop keeps its own
per-trajectory extras as private attributes of ``agent_data`` in the same way)."""


def _schema(name: str) -> OpenAIFunctionToolSchema:
    schema = next(s for s in VideoTools.schemas() if s["function"]["name"] == name)
    return OpenAIFunctionToolSchema.model_validate(schema)


class VagentTool(BaseTool):
    """One vagent tool (``config["name"]``); ``config["env"]`` holds :class:`EnvConfig` fields (budget, index)."""

    def __init__(self, config: dict[str, Any], tool_schema: OpenAIFunctionToolSchema | None = None):
        name = config.get("name")
        if name not in TOOL_NAMES:
            raise ValueError(f"vagent tool {name!r}: one of {', '.join(TOOL_NAMES)}")
        self.env = env_config_from(config.get("env") or {})
        self._videos: dict[str, str] = {}
        super().__init__(config, tool_schema or _schema(name))

    async def create(self, instance_id: str | None = None, create_kwargs: dict[str, Any] | None = None,
                     **kwargs: Any) -> tuple[str, ToolResponse]:
        """Remember the call's video (``create_kwargs["video"]``)."""
        instance_id = instance_id or uuid4().hex
        video = (create_kwargs or {}).get("video") or kwargs.get("video")
        if video:
            self._videos[instance_id] = str(video)
        return instance_id, ToolResponse()

    async def execute(self, instance_id: str, parameters: dict[str, Any], **kwargs: Any) -> tuple[ToolResponse, float, dict]:
        """Run the tool in the trajectory's episode; a problem is a tool error the model reads, never an exception."""
        video = self._videos.get(instance_id)
        if video is None:
            return ToolResponse(text=f"ERROR: no video for {self.name}: the row's tools_kwargs need create_kwargs.video"), 0.0, {}
        agent_data = kwargs.get("agent_data")
        episode = getattr(agent_data, SESSION, None)
        if episode is None or episode.state.video != str(Path(video).resolve()):
            tools = await asyncio.to_thread(tools_for, video, self.env.index)
            state = EpisodeState(question="", options=None, video=str(Path(video).resolve()), messages=[])
            episode = Episode(state, tools, self.env.budget)
            if agent_data is not None:
                setattr(agent_data, SESSION, episode)
        record: dict[str, Any] = {"calls": []}
        observation = await asyncio.to_thread(episode.run_call, self.name, dict(parameters or {}), record)
        text = text_of_blocks([b for b in observation.content_blocks() if b.get("type") == "text"])
        if (reason := episode.exhausted()) in ("max_frames", "max_audio_seconds"):
            text += "\n" + budget_message(reason)
        images = [timed.image for timed in observation.images]
        metrics = {"frames": len(images), "error": bool(observation.error)}
        return ToolResponse(text=text, **({"image": images} if images else {})), 0.0, metrics  # verl refuses image=None

    async def release(self, instance_id: str, **kwargs: Any) -> None:
        self._videos.pop(instance_id, None)


def env_config_from(fields: dict[str, Any]) -> EnvConfig:
    """An :class:`EnvConfig` from a mapping of its fields (``budget`` and ``index`` as mappings)."""
    from vagent.tools.index import IndexSettings

    fields = dict(fields)
    if isinstance(fields.get("budget"), dict):
        fields["budget"] = Budget(**fields["budget"])
    if isinstance(fields.get("index"), dict):
        fields["index"] = IndexSettings(**fields["index"])
    return EnvConfig(**fields)


def write_tool_config(path: str | os.PathLike[str], env: dict[str, Any] | None = None) -> Path:
    """Write verl's tool-config YAML: every vagent tool as a native :class:`VagentTool` with its schema."""
    import yaml

    tools = [{"class_name": f"{__name__}.{VagentTool.__name__}",
              "config": {"type": "native", "name": name, **({"env": env} if env else {})},
              "tool_schema": _schema(name).model_dump(exclude_unset=True, exclude_none=True)} for name in TOOL_NAMES]
    text = yaml.safe_dump({"tools": tools}, sort_keys=False, allow_unicode=True)
    return write_lines_atomic(Path(path), [text])
