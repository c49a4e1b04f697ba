"""vagent's loop as a verl agent loop: ``agent_name: vagent`` runs the same :class:`Episode` as inference.

:class:`VagentAgentLoop` (registered as ``vagent``) starts the row's task with
:func:`~vagent.env.environment.start_episode` (system instructions, the question with the overview
frames), asks verl's server client for each model turn, and hands the decoded text to
:meth:`Episode.step`: tool calls, budget notices, the answer-only last turn and the correction of a
malformed turn are those of ``vagent ask``. Tokens are built with verl's Continuous Token builder,
as verl's own ``ToolAgentLoop`` does: the model's tokens have ``response_mask`` 1, every message the
episode appends (tool results, notices, corrections) 0. Every image (overview and tool frames) goes
to ``multi_modal_data["images"]`` in the order the tokens place them. The reward is the task's
:class:`~vagent.env.rewards.RewardSpec` total (``reward_score``), its components in ``extra_fields``.

Settings come from the agent-loop config entry (``agent_loop_config_path``): ``env`` holds
:class:`EnvConfig` fields (budget, overview frames, reward, index).
"""

from __future__ import annotations

import asyncio
from dataclasses import replace
from typing import Any
from uuid import uuid4

from omegaconf import DictConfig, OmegaConf
from verl.experimental.agent_loop.agent_loop import AgentLoopBase, AgentLoopMetrics, AgentLoopOutput, register
from verl.utils.profiler import simple_timer

from vagent.agent.messages import to_processor_messages
from vagent.env.environment import start_episode
from vagent.env.rewards import task_spec
from vagent.faces.verl_dataset import task_of_row
from vagent.faces.verl_tools import env_config_from
from vagent.tools.registry import VideoTools
from vagent.types import block_image

__all__ = ["VagentAgentLoop"]


def _images(messages: list[dict[str, Any]]) -> list[Any]:
    """The PIL images of ``messages`` in order."""
    return [block_image(b) for m in messages if isinstance(m.get("content"), list) for b in m["content"] if b.get("type") == "image"]


@register("vagent")
class VagentAgentLoop(AgentLoopBase):
    """One trajectory of vagent's episode inside verl (see the module docstring)."""

    def __init__(self, *args: Any, env: dict[str, Any] | None = None, **kwargs: Any):
        kwargs.pop("tools", None)  # verl offers its tool list to every loop; vagent's tools are the registry's
        super().__init__(*args, **kwargs)
        if isinstance(env, DictConfig):  # hydra hands the registry entry's env over as a DictConfig
            env = OmegaConf.to_container(env, resolve=True)
        self.env = replace(env_config_from(dict(env or {})), include_schemas=False)  # the chat template lists the tools
        self.response_length = self.rollout_config.response_length

    async def run(self, sampling_params: dict[str, Any], **kwargs: Any) -> AgentLoopOutput:
        task = task_of_row(kwargs.get("extra_info"))
        metrics: dict[str, Any] = {}
        episode = await asyncio.to_thread(start_episode, task, self.env)
        state, schemas = episode.state, VideoTools.schemas()
        messages = to_processor_messages(state.messages)
        images = _images(messages)
        self._assert_mm_supported(bool(images))
        token_ids = await self.ct_build_initial_tokens(messages, tools=schemas, images=images or None)
        prompt_length, response_mask, request_id = len(token_ids), [], uuid4().hex
        while not episode.done:
            with simple_timer("generate_sequences", metrics):
                output = await self.server_manager.generate(request_id=request_id, prompt_ids=token_ids,
                                                            sampling_params=sampling_params, image_data=images or None)
            merged, response_mask, _ = await self.ct_merge_assistant_token(token_ids, output.token_ids, response_mask)
            token_ids = merged.token_ids
            text = self.tokenizer.decode(output.token_ids, skip_special_tokens=True)
            before = len(state.messages)
            with simple_timer("tool_calls", metrics):
                await asyncio.to_thread(episode.step, text)
            if len(response_mask) >= self.response_length:
                state.end_reason = state.end_reason or "max_length"  # verl cuts the response here
                break
            converted = to_processor_messages(state.messages)
            added = converted[before + 1:]  # what the episode appended after the assistant turn
            if not added:
                continue
            new_images = _images(added)
            self._assert_mm_supported(bool(new_images))
            merged, response_mask, _ = await self.ct_merge_context_msg(converted[: before + 1], converted, token_ids,
                                                                       response_mask, tools=schemas)
            token_ids, images = merged.token_ids, images + new_images
        reward, components = task_spec(task, self.env.reward).score(state, task)
        return AgentLoopOutput(
            prompt_ids=token_ids[:prompt_length],
            response_ids=token_ids[prompt_length:][: self.response_length],
            response_mask=response_mask[: self.response_length],
            multi_modal_data={"images": images} if images else {},
            reward_score=float(reward),
            num_turns=len(state.messages) - 1,
            metrics=AgentLoopMetrics(**{k: v for k, v in metrics.items() if k in AgentLoopMetrics.model_fields}),
            extra_fields={"reward_components": components, "end_reason": state.end_reason, "vagent_episode": episode.to_dict()},
        )
