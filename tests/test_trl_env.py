"""The TRL face of the environment: tool methods, episode recording, rewards, GRPO with real tools."""

from __future__ import annotations

import inspect
import math
from pathlib import Path

import pytest
from PIL import Image

from vagent.agent.episode import Budget
from vagent.env.environment import EnvConfig
from vagent.faces.trl_dataset import training_dataset
from vagent.faces.trl_rewards import reward_funcs, reward_weights
from vagent.faces.trl_rollout import TRLRolloutEnv, make_environment_factory
from vagent.tools.index import IndexSettings
from vagent.tools.registry import TOOL_NAMES, VideoTools

RANDOM_INDEX = {"clip_model": "ViT-S-32", "clip_pretrained": None, "allow_random_clip": True}


@pytest.fixture(scope="session")
def synthetic_tasks(tmp_path_factory):
    from vagent.env.synthetic import make_suite

    out = tmp_path_factory.mktemp("suite")
    return make_suite(2, out, seed=0, families=["count_cuts", "appear_when"]), out / "tasks.jsonl"


def env_config(tmp_path: Path | None = None, **budget) -> EnvConfig:
    index = IndexSettings(clip_model="ViT-S-32", clip_pretrained=None, allow_random_clip=True)
    return EnvConfig(budget=Budget(**budget), index=index, include_schemas=False)


def test_public_methods_are_exactly_the_registry_tools():
    from transformers.utils import get_json_schema

    env = TRLRolloutEnv(env_config())
    public = {n for n, _ in inspect.getmembers(TRLRolloutEnv, predicate=inspect.isfunction) if not n.startswith("_")}
    assert public == {*TOOL_NAMES, "reset"}
    for i, name in enumerate(TOOL_NAMES):
        assert get_json_schema(getattr(env, name)) == VideoTools.schemas()[i]
        assert getattr(TRLRolloutEnv, name).__doc__ == getattr(VideoTools, name).__doc__


def test_reset_tools_and_rewards(synthetic_tasks):
    tasks, _ = synthetic_tasks
    row = training_dataset(tasks)[0]
    env = make_environment_factory(env_config(max_frames=12))()
    first = env.reset(**row)
    assert tasks[0].question in first[0]["text"]
    images = [b["image"] for b in first if b["type"] == "image"]
    assert len(images) == 4 and all(isinstance(i, Image.Image) for i in images)

    env._next_turn()  # as VagentGRPOTrainer does before every generation
    scenes = env.detect_scenes()
    assert "scene 1:" in scenes[0]["text"]
    crop = env.crop_clip(start=0.0, end=4.0, num_frames=4)
    shown = [b for b in scenes + crop if b["type"] == "image"]
    assert len(shown) <= 12 and env.episode.state.frames_shown == len(shown)  # frame budget holds
    env._next_turn()
    bad = env.zoom_frame(time=1.0, box=[0.5, 0.5, 0.1, 0.1])
    expected = "budget exhausted" if env.episode.state.frames_shown >= 12 else "empty or inverted"
    assert expected in bad[0]["text"]

    answer = f"<think>counted</think><answer>{int(tasks[0].answer)}</answer>"
    completion = [
        {"role": "assistant", "content": "<think>look</think>",
         "tool_calls": [{"type": "function", "function": {"name": "detect_scenes", "arguments": {}}},
                        {"type": "function", "function": {"name": "crop_clip", "arguments": {"start": 0.0, "end": 4.0, "num_frames": 4}}}]},
        {"role": "tool", "name": "detect_scenes", "content": scenes},
        {"role": "tool", "name": "crop_clip", "content": crop},
        {"role": "assistant", "content": "<think>and zoom</think>",
         "tool_calls": [{"type": "function", "function": {"name": "zoom_frame", "arguments": {"time": 1.0, "box": [0.5, 0.5, 0.1, 0.1]}}}]},
        {"role": "tool", "name": "zoom_frame", "content": bad},
        {"role": "assistant", "content": answer},
    ]
    state = env._trajectory(completion)
    assert state.answer == str(int(tasks[0].answer)) and state.turns == 3 and state.tool_calls == 3
    assert [len(s["calls"]) for s in state.steps] == [2, 1, 0]

    logged = {}
    funcs = reward_funcs("accuracy:1,format:0.2,tool_cost:0.02")
    values = {f.__name__: f([completion], environments=[env], log_metric=logged.__setitem__)[0] for f in funcs}
    assert values["accuracy"] == 1.0 and values["format"] == 1.0
    assert math.isclose(values["tool_cost"], -(3 + 0.1 * len(shown)))
    assert reward_weights("accuracy:1,format:0.2,tool_cost:0.02") == [1.0, 0.2, 0.02]
    assert logged["episode/accuracy"] == 1.0 and logged["tools/crop_clip"] == 1.0 and logged["episode/turns"] == 3


def _scripted_generation(trainer, texts):
    """Replace what the model samples with ``texts[turn]`` (turn = call of _generate_single_turn);
    ``None`` keeps the model's own sample for that turn."""
    tokenizer = trainer.processing_class.tokenizer
    end = tokenizer.convert_tokens_to_ids("<|im_end|>")
    original = trainer._generate_single_turn
    calls = {"n": 0}

    def generate(prompt_ids, images, multimodal_fields, num_generations, has_tool_images=False):
        trainer.seen_prompt_ids = getattr(trainer, "seen_prompt_ids", []) + [list(p) for p in prompt_ids]
        ids, logprobs = original(prompt_ids, images, multimodal_fields, num_generations, has_tool_images)
        text = texts[min(calls["n"], len(texts) - 1)]
        calls["n"] += 1
        if text is None:
            return ids, logprobs
        rows = [text(row) if callable(text) else text for row in range(len(ids))]
        scripted = [tokenizer.encode(t, add_special_tokens=False) + [end] for t in rows]
        return scripted, None if logprobs is None else [[0.0] * len(s) for s in scripted]

    trainer._generate_single_turn = generate


@pytest.mark.slow
def test_grpo_runs_tools_and_trains_on_tool_images(synthetic_tasks, tiny_model_dir, tmp_path):
    """The env inside GRPOTrainer: tool calls run, rewards are logged, tool images reach the loss pass."""
    import torch
    from vagent.training.grpo import VagentGRPOTrainer as GRPOTrainer
    from vagent.training.grpo_config import VagentGRPOConfig

    tasks, _ = synthetic_tasks
    args = VagentGRPOConfig(
        output_dir=str(tmp_path / "grpo"), max_steps=1, per_device_train_batch_size=2, num_generations=2,
        max_completion_length=900, activation_checkpointing=False, save_strategy="no", beta=0.0,
        env={"index": RANDOM_INDEX, "reward": "accuracy:1,format:0.2,tool_cost:0.02", "budget": {"max_frames": 8}},
        learning_rate=1e-3,
    )
    trainer = GRPOTrainer(
        model=str(tiny_model_dir), reward_funcs=reward_funcs(args.env.reward), args=args,
        train_dataset=training_dataset(tasks), environment_factory=make_environment_factory(args.env_config()),
    )
    call = '<think>look closer</think>\n<tool_call>\n{"name": "crop_clip", "arguments": {"start": 0.0, "end": 2.0, "num_frames": 2}}\n</tool_call>'
    # the second rollout of each group never answers: rewards differ within the group, so GRPO learns
    answer = lambda row: "<think>done</think><answer>3</answer>" if row % 2 == 0 else "<think>done</think>"  # noqa: E731
    _scripted_generation(trainer, [call, answer] * 2)

    seen = []

    def capture(module, args, kwargs):
        if torch.is_grad_enabled() and kwargs.get("pixel_values") is not None:
            seen.append(int(kwargs["image_grid_thw"].shape[0]))

    hook = trainer.model.register_forward_pre_hook(capture, with_kwargs=True)
    before = {n: p.detach().clone() for n, p in trainer.model.named_parameters()}
    trainer.train()
    hook.remove()

    logs = [row for row in trainer.state.log_history if "reward" in row]
    assert len(logs) == 1
    assert all(row["tools/call_frequency"] == 1.0 and row["tools/crop_clip"] == 1.0 for row in logs)
    assert all(row["episode/answered"] == 0.5 and row["rewards/format/mean"] == 0.5 for row in logs)
    assert all(row["episode/frames"] == 2.0 for row in logs)
    # each sequence: 4 overview frames + 2 crop_clip frames, in the loss (grad-enabled) forward pass
    assert seen and all(n == 6 * 2 for n in seen), seen
    assert any(not torch.equal(before[n], p) for n, p in trainer.model.named_parameters())

    # the first prompt of a rollout is token for token the inference rendering of its task (a tiny SFT
    # model whose tool list came in another order in GRPO failed every first turn there)
    from vagent.agent.episode import Episode
    from vagent.agent.messages import to_processor_messages
    from vagent.env.environment import tools_for

    config = args.env_config()
    inference = []
    for task in tasks:
        episode = Episode.start(tools_for(task.video, config.index), task.question, task.options, config.budget,
                                overview_frames=config.overview_frames, include_schemas=False)
        rendered = trainer.processing_class.apply_chat_template(
            to_processor_messages(episode.state.messages), tools=VideoTools.schemas(), add_generation_prompt=True,
            tokenize=True, return_dict=True)
        inference.append(list(rendered["input_ids"][0]))
    first_turns = [ids for ids in trainer.seen_prompt_ids if ids in inference]
    assert len(first_turns) >= 2  # each step's first turn (later turns carry the earlier completion)


def _drawn_and_scored(sampled, ids, mask, logps, end) -> list[tuple[float, float]]:
    """(sampler log-prob, loss-pass log-prob) of each sampled token that the loss batch holds.

    ``sampled``: (input ids, attention mask, sequences, raw logits) of each generate call;
    ``ids``/``mask``/``logps``: the loss pass's left-padded prompts + completions and their log-probs."""
    import torch

    width = ids.shape[1] - logps.shape[1]
    rows = [(ids[i][mask[i].bool()].tolist(), int(mask[i, :width].sum())) for i in range(ids.shape[0])]
    pairs = []
    for context_ids, context_mask, sequences, logits in sampled:
        for r in range(sequences.shape[0]):
            context = context_ids[r][context_mask[r].bool()].tolist()
            new = sequences[r, context_ids.shape[1]:].tolist()
            new = new[: new.index(end) + 1] if end in new else new
            # the rollout this sample continues (none for a scripted turn, replaced after sampling)
            row = next((i for i, (full, _) in enumerate(rows) if full[: len(context) + 1] == context + new[:1]), None)
            if row is None:
                continue
            full, prompt_len = rows[row]
            drawn = torch.log_softmax(logits[r].float(), -1)
            for j, token in enumerate(new):
                if full[len(context) + j : len(context) + j + 1] != [token]:
                    break  # TRL cut the turn here (completion length)
                pairs.append((float(drawn[j, token]), float(logps[row, len(context) + j - prompt_len])))
    return pairs


@pytest.mark.slow
def test_grpo_loss_pass_scores_what_the_sampler_saw(synthetic_tasks, tiny_model_dir, tmp_path):
    """On-policy check: after a tool result with images, the loss pass gives each sampled token the
    log-prob the sampler drew it with. A context that differs between the two (tool images, their
    positions, the rendering) would make GRPO optimise another policy than the one it samples."""
    import torch

    from vagent.training.grpo import build_trainer
    from vagent.training.grpo_config import VagentGRPOConfig

    trainer = build_trainer(VagentGRPOConfig(
        model=str(tiny_model_dir), tasks=str(synthetic_tasks[1]), output_dir=str(tmp_path / "grpo"), max_steps=1,
        per_device_train_batch_size=2, num_generations=2, max_completion_length=700, max_tool_calling_iterations=1,
        activation_checkpointing=False, save_strategy="no", beta=0.0,
        env={"index": RANDOM_INDEX, "reward": "format", "budget": {"max_frames": 8}},
    ))
    call = '<think>look</think>\n<tool_call>\n{"name": "crop_clip", "arguments": {"start": 0.0, "end": 2.0, "num_frames": 2}}\n</tool_call>'
    _scripted_generation(trainer, [call, None])  # the turn after the tool result is the model's own sample
    sampled, scored = [], []
    generate, score = trainer.model.generate, trainer._get_per_token_logps_and_entropies

    def generate_keeping_logits(*args, **kwargs):
        out = generate(*args, **kwargs, output_logits=True, return_dict_in_generate=True)
        sampled.append((kwargs["input_ids"], kwargs["attention_mask"], out.sequences, torch.stack(out.logits, 1)))
        return out.sequences

    def score_keeping_logps(model, input_ids, attention_mask, logits_to_keep, *args, **kwargs):
        out = score(model, input_ids, attention_mask, logits_to_keep, *args, **kwargs)
        if torch.is_grad_enabled():
            scored.append((input_ids, attention_mask, out[0].detach()))
        return out

    trainer.model.generate, trainer._get_per_token_logps_and_entropies = generate_keeping_logits, score_keeping_logps
    trainer.train()

    end = trainer.processing_class.tokenizer.convert_tokens_to_ids("<|im_end|>")
    pairs = _drawn_and_scored(sampled, *scored[0], end)
    assert len(pairs) >= 10, len(pairs)  # the post-tool turns were found in the loss batch
    worst = max(abs(sampler - loss_pass) for sampler, loss_pass in pairs)
    assert worst < 5e-3, worst  # float noise is about 1e-6 here; tool images in another order give 0.06


def test_budget_notice_and_tool_suffix_match_inference_rendering(synthetic_tasks, tiny_model_dir):
    """GRPO rollouts must see the token sequence inference and SFT data see (a tiny SFT model that
    saw the budget notice as a user turn wrote word salad when TRL put it in the tool result)."""
    from types import SimpleNamespace

    from transformers import AutoProcessor
    from trl import GRPOTrainer

    from vagent.agent.episode import Episode
    from vagent.agent.messages import to_processor_messages
    from vagent.env.environment import tools_for

    tasks, _ = synthetic_tasks
    config = env_config(max_frames=6)
    env = make_environment_factory(config)()
    env.reset(**training_dataset(tasks)[0])
    trl_blocks = env.crop_clip(start=0.0, end=4.0, num_frames=8)  # 4 overview + 2 shown: budget spent

    episode = Episode.start(tools_for(tasks[0].video, config.index), tasks[0].question, tasks[0].options, config.budget,
                            overview_frames=config.overview_frames, include_schemas=False)
    episode.step('<think>look</think>\n<tool_call>\n{"name": "crop_clip", "arguments": {"start": 0.0, "end": 4.0, '
                 '"num_frames": 8}}\n</tool_call>')
    last = episode.state.messages[-1]
    assert last["role"] == "tool" and episode.state.final_turn  # the notice ends the tool result, no user turn
    texts = [b["text"] for b in last["content"] if b["type"] == "text"]
    assert texts == [b["text"] for b in trl_blocks if b["type"] == "text"]
    assert "frame budget is used up" in texts[-1]

    processor = AutoProcessor.from_pretrained(tiny_model_dir)
    tool_message = {"role": "tool", "name": "crop_clip", "content": trl_blocks}
    trainer = SimpleNamespace(processing_class=processor, chat_template=None, chat_template_kwargs={}, _is_vlm=True,
                              _tokenizer=processor.tokenizer)
    suffix = GRPOTrainer._get_tool_suffix_ids(trainer, [tool_message])
    inference = processor.apply_chat_template(to_processor_messages(episode.state.messages), tools=VideoTools.schemas(),
                                              add_generation_prompt=True, tokenize=True, return_dict=True)
    ids = list(inference["input_ids"][0])
    assert ids[-len(suffix):] == list(suffix)  # what TRL appends after a tool call = what inference renders


def test_trl_face_never_lists_schemas_whatever_the_shared_config_says():
    """One EnvConfig may serve VideoEnv and the TRL face; the TRL face's system turn is the dataset
    prompt and the template lists the tools, so its episodes are started without schemas (documented)."""
    shared = EnvConfig(include_schemas=True)
    assert TRLRolloutEnv(shared).config.include_schemas is False and shared.include_schemas is True
