"""vagent in verl 0.9: the agent loop, the tools for verl's ToolAgentLoop, the dataset export.

verl's own classes run here (``AgentLoopBase`` via its registry and hydra, ``ToolAgentLoop``'s tool
path, ``RLHFDataset``). The one stand-in: :class:`TinyModelServer` takes the place of the vLLM /
SGLang server behind verl's ``LLMServerClient`` interface (same ``generate`` signature, verl's
``TokenOutput``); it runs the tiny Qwen3-VL on the prompt tokens and images verl's loop sends (so a
token/image mismatch fails as it would on a server) and then writes the script's turn, as
tests/test_rollout_parity.py does for TRL.
"""

from __future__ import annotations

import asyncio
import json

import pytest

import verl  # noqa: E402,F401  (fails, never skips, without vagent[verl]: the README set-up installs it)
from omegaconf import OmegaConf  # noqa: E402

from tests.test_rollout_parity import CROP, MALFORMED, SCENES, answer, calls, run_inference, tool_observations  # noqa: E402
from tests.test_trl_env import RANDOM_INDEX  # noqa: E402
from vagent.agent.episode import Budget  # noqa: E402
from vagent.env.environment import EnvConfig  # noqa: E402
from vagent.tools.index import IndexSettings  # noqa: E402

ENV = {"index": RANDOM_INDEX, "overview_frames": 2, "reward": "accuracy:1,format:0.2,tool_cost:0.02",
       "budget": {"max_turns": 2, "max_frames": 16}}


class TinyModelServer:
    """The stand-in for a vLLM/SGLang server behind verl's ``LLMServerClient.generate``."""

    def __init__(self, model_dir, script):
        import torch
        from transformers import AutoModelForImageTextToText, AutoProcessor

        self.processor = AutoProcessor.from_pretrained(model_dir)
        self.model = AutoModelForImageTextToText.from_pretrained(model_dir, dtype=torch.float32).eval()
        self.script, self.prompts = script, []

    async def generate(self, request_id, *, prompt_ids, sampling_params, image_data=None, video_data=None,
                       audio_data=None, mm_processor_kwargs=None, **kwargs):
        import torch
        from verl.workers.rollout.replica import TokenOutput

        ids, extra = torch.tensor([prompt_ids]), {}
        if image_data:
            extra = dict(self.processor.image_processor(images=image_data, return_tensors="pt"))
            extra["mm_token_type_ids"] = (ids == self.model.config.image_token_id).long()
        with torch.no_grad():  # the model reads what verl sends: placeholders and images must agree
            self.model(input_ids=ids, **extra)
        self.prompts.append(list(prompt_ids))
        tokenizer = self.processor.tokenizer
        text = self.script[min(len(self.prompts) - 1, len(self.script) - 1)]
        return TokenOutput(token_ids=tokenizer.encode(text, add_special_tokens=False) + [tokenizer.convert_tokens_to_ids("<|im_end|>")])


@pytest.fixture(scope="module")
def task_file(tmp_path_factory):
    from vagent.env.synthetic import make_suite

    out = tmp_path_factory.mktemp("verl")
    tasks = make_suite(1, out, seed=0, families=["count_cuts"])
    return tasks[0], out / "tasks.jsonl"


def run_vagent_loop(model_dir, task, script, response_length=6000):
    """The loop as verl's AgentLoopWorker runs it: the registry entry, hydra's instantiate, ``run``."""
    import hydra
    from transformers import AutoProcessor
    from verl.experimental.agent_loop.agent_loop import DictConfigWrap, ToolListWrap, _agent_loop_registry
    from verl.utils.dataset.rl_dataset import RLHFDataset

    import vagent.faces.verl_agent_loop  # noqa: F401  (registers "vagent")
    from vagent.faces.verl_dataset import verl_rows

    processor = AutoProcessor.from_pretrained(model_dir)
    server = TinyModelServer(model_dir, script)
    config = OmegaConf.create({"actor_rollout_ref": {"rollout": {"prompt_length": 6000, "response_length": response_length}}})
    row = verl_rows([task])[0]

    async def run():  # verl instantiates each loop inside its worker's event loop
        loop = hydra.utils.instantiate(config={**_agent_loop_registry["vagent"], "env": ENV}, trainer_config=DictConfigWrap(config),
                                       server_manager=server, tokenizer=processor.tokenizer, processor=processor,
                                       hf_model_type="qwen3_vl", dataset_cls=RLHFDataset,
                                       data_config=DictConfigWrap(OmegaConf.create({})), tools=ToolListWrap([]))
        return await loop.run({"temperature": 1.0}, raw_prompt=row["prompt"], extra_info=row["extra_info"])

    output = asyncio.run(run())
    return output, processor.tokenizer, server


def env_config():
    return EnvConfig(budget=Budget(**ENV["budget"]), overview_frames=2, reward=ENV["reward"], index=IndexSettings(**RANDOM_INDEX),
                     include_schemas=False)


@pytest.mark.slow
def test_the_vagent_loop_is_the_inference_episode_and_masks_exactly_the_tool_tokens(task_file, tiny_model_dir):
    """Two tool turns spend the turn budget (notice), the answer-only turn answers: the same observations,
    calls and reward as run_episode; response_mask is 1 on the model's tokens and 0 on everything else."""
    task, _ = task_file
    script = [CROP.format(n=2), SCENES, answer(task)]
    output, tokenizer, server = run_vagent_loop(tiny_model_dir, task, script)
    state, expected = run_inference(task, env_config(), script)
    episode = output.extra_fields["vagent_episode"]
    assert tool_observations(episode["messages"]) == tool_observations(state.messages)
    assert "turn budget is used up" in tool_observations(episode["messages"])[-1][0]
    assert calls(type("S", (), episode)) == calls(state) and episode["answer"] == state.answer
    assert output.reward_score == pytest.approx(expected) and output.extra_fields["end_reason"] == "answered"

    ids, mask = output.response_ids, output.response_mask
    end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    model_tokens = [t for t, m in zip(ids, mask) if m == 1]
    assert model_tokens == [t for text in script for t in tokenizer.encode(text, add_special_tokens=False) + [end]]
    tool_text = tokenizer.decode([t for t, m in zip(ids, mask) if m == 0])
    assert "turn budget is used up" in tool_text and "<tool_call>" not in tool_text  # results, never the model's calls
    # every image the tokens place is in multi_modal_data: the 2 overview frames and every tool result's
    shown = 2 + sum(n for _, n in tool_observations(episode["messages"]))
    assert len(output.multi_modal_data["images"]) == shown > 4
    assert (list(output.prompt_ids) + list(ids)).count(tokenizer.convert_tokens_to_ids("<|vision_start|>")) == shown
    assert server.prompts[-1] == list(output.prompt_ids) + list(ids)[: len(server.prompts[-1]) - len(output.prompt_ids)]


@pytest.mark.slow
def test_a_malformed_turn_is_corrected_as_at_inference(task_file, tiny_model_dir):
    task, _ = task_file
    script = [MALFORMED, answer(task)]
    output, tokenizer, _ = run_vagent_loop(tiny_model_dir, task, script)
    state, expected = run_inference(task, env_config(), script)
    episode = output.extra_fields["vagent_episode"]
    corrections = [m for m in episode["messages"] if m["role"] == "user"][1:]
    assert corrections and [m["content"] for m in corrections] == [m["content"] for m in state.messages if m["role"] == "user"][1:]
    assert output.reward_score == pytest.approx(expected)
    assert "<tool_call>" in tokenizer.decode([t for t, m in zip(output.response_ids, output.response_mask) if m == 0])


def test_export_loads_in_verls_rlhf_dataset(task_file, tmp_path, tiny_model_dir):
    from transformers import AutoTokenizer
    from typer.testing import CliRunner
    from verl.utils.dataset.rl_dataset import RLHFDataset

    from vagent.cli import app
    from vagent.faces.verl_dataset import task_of_row

    task, path = task_file
    result = CliRunner().invoke(app, ["data", "export", "verl", str(path), "--out", str(tmp_path / "train.parquet")])
    assert result.exit_code == 0, result.output
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    dataset = RLHFDataset(str(tmp_path / "train.parquet"), tokenizer, OmegaConf.create({"prompt_key": "prompt", "max_prompt_length": 4096,
                                                                                          "filter_overlong_prompts": True}))
    row = dataset[0]
    assert row["agent_name"] == "vagent" and row["raw_prompt"][1]["content"].startswith("Question: ")
    assert task_of_row(row["extra_info"]) == task
    assert row["tools_kwargs"]["crop_clip"]["create_kwargs"]["video"] == task.video
    bad = CliRunner().invoke(app, ["data", "export", "verl", str(path), "--out", str(tmp_path / "x.parquet"), "--agent", "nope"])
    assert bad.exit_code == 2 and "Traceback" not in bad.output


def test_tool_agent_loop_calls_the_vagent_tools_and_gets_images(task_file, tmp_path):
    """verl's ToolAgentLoop._call_tool: create → execute → release on the BaseTool from the written YAML."""
    from verl.experimental.agent_loop.tool_agent_loop import AgentData, ToolAgentLoop
    from verl.experimental.agent_loop.tool_parser import FunctionCall
    from verl.tools.tool_registry import load_all_tools

    from vagent.faces.verl_tools import write_tool_config

    task, _ = task_file
    config = write_tool_config(tmp_path / "tools.yaml", {"index": RANDOM_INDEX, "budget": {"max_frames": 3}})
    tools = {tool.name: tool for tool in load_all_tools(tool_config_path=str(config), function_tool_path=None)}
    loop = ToolAgentLoop.__new__(ToolAgentLoop)  # only the tool path: no server, tokenizer or trainer config
    loop.tools, loop.max_tool_response_length, loop.tool_response_truncate_side = tools, 100_000, "right"
    agent_data = AgentData([], None, None, None, None, {}, "r", {})
    kwargs = {name: {"create_kwargs": {"video": task.video}} for name in tools}

    def call(name, arguments):
        return asyncio.run(loop._call_tool(FunctionCall(name=name, arguments=json.dumps(arguments)), kwargs, agent_data))

    response, _, _ = call("crop_clip", {"start": 0.0, "end": 4.0, "num_frames": 2})
    assert len(response.image) == 2 and "t=" in response.text
    response, _, _ = call("crop_clip", {"start": 0.0, "end": 4.0, "num_frames": 4})  # one frame left of 3
    assert len(response.image) == 1 and "frame budget is used up" in response.text
    response, _, _ = call("zoom_frame", {"time": 1.0})
    assert not response.image and "Frame budget exhausted" in response.text
    response, _, _ = call("crop_clip", {"start": "soon"})
    assert response.text and not response.image  # a bad argument is a tool error the model reads
