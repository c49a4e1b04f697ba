"""Training entry points: collect → SFT → GRPO end to end, the SFT loss mask, configs."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from vagent.errors import ConfigError


CONFIGS = Path(__file__).resolve().parents[1] / "training" / "configs"
RANDOM_CLIP = {"clip_model": "ViT-S-32", "clip_pretrained": None, "allow_random_clip": True}
FAST = {"activation_checkpointing": False, "save_strategy": "no", "per_device_train_batch_size": 2}


@pytest.fixture(scope="module")
def collected(tmp_path_factory):
    """Two synthetic tasks and the scripted (oracle) trajectories collected on them."""
    from vagent.env.synthetic import make_suite
    from vagent.training import collect

    root = tmp_path_factory.mktemp("training")
    make_suite(2, root / "suite", seed=0, families=["count_cuts", "where_at"])
    config = collect.load_config(None, {"tasks": str(root / "suite" / "tasks.jsonl"), "out": str(root / "data" / "sft.jsonl"),
                                        "min_reward": 0.5, "env": {"index": RANDOM_CLIP}, "progress": False})
    return root, collect.run(config)


def test_collect_writes_a_chat_dataset(collected):
    _, result = collected
    assert result.episodes == 2 and result.kept >= 1 and result.mean_accuracy > 0.5
    line = json.loads(result.path.read_text().splitlines()[0])
    roles = [m["role"] for m in line["messages"]]
    assert roles[:3] == ["system", "user", "assistant"] and "tool" in roles and line["reward"] >= 0.5
    assistant = [m["content"] for m in line["messages"] if m["role"] == "assistant"]
    assert all(text.startswith("<think>") for text in assistant) and "<answer>" in assistant[-1]
    images = [b["image"] for m in line["messages"] if isinstance(m["content"], list) for b in m["content"] if b["type"] == "image"]
    assert images and all((result.path.parent / p).is_file() for p in images)


def test_collect_from_the_no_tools_teacher(collected):
    """The weak teacher answers from the overview in one turn, under the same tool-listing prompt."""
    from vagent.training import collect

    root, with_tools = collected
    config = collect.load_config(None, {"tasks": str(root / "suite" / "tasks.jsonl"), "out": str(root / "data" / "plain.jsonl"),
                                        "policy": "scripted-no-tools", "min_reward": 0.0, "env": {"index": RANDOM_CLIP}, "progress": False})
    result = collect.run(config)
    assert result.episodes == result.kept == 2
    lines = [json.loads(line) for line in result.path.read_text().splitlines()]
    for line in lines:
        assert [m["role"] for m in line["messages"]] == ["system", "user", "assistant"]
        assert "<answer>" in line["messages"][-1]["content"] and "<tool_call>" not in line["messages"][-1]["content"]
    reference = json.loads(with_tools.path.read_text().splitlines()[0])
    assert lines[0]["messages"][0] == reference["messages"][0] and lines[0]["tools"] == reference["tools"]


@pytest.mark.slow
def test_sft_labels_only_assistant_tokens(collected, tiny_model_dir, tmp_path):
    from vagent.training import sft

    _, result = collected
    config = sft.load_config(None, {"model": str(tiny_model_dir), "dataset": str(result.path), "output_dir": str(tmp_path), **FAST})
    trainer = sft.build_trainer(config)
    example = trainer.train_dataset[0]
    batch = trainer.data_collator([example])
    ids, labels = batch["input_ids"][0].tolist(), batch["labels"][0].tolist()
    tok = trainer.processing_class.tokenizer
    start, end = tok.encode("<|im_start|>assistant\n", add_special_tokens=False), tok.convert_tokens_to_ids("<|im_end|>")
    newline = tok.encode("\n", add_special_tokens=False)[0]
    inside, spans, i = [False] * len(ids), 0, 0
    while i < len(ids):  # mark each assistant turn: after its header up to and including <|im_end|>
        if ids[i : i + len(start)] == start:
            j = i + len(start)
            while j < len(ids) and ids[j] != end:
                inside[j] = True
                j += 1
            if j < len(ids):
                inside[j] = True  # <|im_end|> and the template's newline after it
                if j + 1 < len(ids) and ids[j + 1] == newline:
                    inside[j + 1] = True
            spans, i = spans + 1, j
        i += 1
    trained = [k for k, label in enumerate(labels) if label != -100]
    assert spans == sum(m["role"] == "assistant" for m in example["messages"]) >= 2
    assert trained and all(inside[k] for k in trained)  # nothing outside assistant turns carries loss
    assert sum(inside) == len(trained)  # every assistant token does
    text = tok.decode([ids[k] for k in trained])
    assert "<tool_call>" in text and "<answer>" in text and "<think>" in text
    assert "<tool_response>" not in text and "Question:" not in text and "<|image_pad|>" not in text
    assert batch["pixel_values"] is not None and int(batch["image_grid_thw"].shape[0]) == sum(
        b["type"] == "image" for m in example["messages"] if isinstance(m["content"], list) for b in m["content"])
    # the tool schemas appear in the system turn as the template renders them for GRPO
    assert '"name": "crop_clip"' in tok.decode(ids)


@pytest.mark.slow
def test_collect_sft_grpo_end_to_end(collected, tiny_model_dir, tmp_path):
    from vagent.training import grpo, sft

    root, result = collected
    sft_out = sft.run(sft.load_config(None, {"model": str(tiny_model_dir), "dataset": str(result.path),
                                             "output_dir": str(tmp_path / "sft"), "max_steps": 2, "max_image_side": 64, **FAST}))
    assert sft_out.steps == 2 and sft_out.train_loss > 0
    config = grpo.load_config(None, {"model": str(sft_out.output_dir), "tasks": str(root / "suite" / "tasks.jsonl"),
                                     "output_dir": str(tmp_path / "grpo"), "max_steps": 2, "num_generations": 2,
                                     "max_completion_length": 48, "env": {"index": RANDOM_CLIP}, **FAST})
    out = grpo.run(config)
    assert out.steps == 2
    logged = [row for row in out.log_history if "reward" in row]
    assert len(logged) == 2 and all("rewards/accuracy/mean" in row and "episode/turns" in row for row in logged)
    assert out.reward_curve is not None and out.reward_curve.is_file()
    assert (tmp_path / "grpo" / "log_history.json").is_file()


def test_grpo_never_samples_vision_placeholders(collected, tiny_model_dir, tmp_path):
    """TRL suppresses only the image token; a sampled <|video_pad|> crashed GRPO at temperature 1.0."""
    from vagent.training import grpo

    root, _ = collected
    overrides = {"model": str(tiny_model_dir), "tasks": str(root / "suite" / "tasks.jsonl"), "output_dir": str(tmp_path / "g"),
                 "num_generations": 2, "env": {"index": RANDOM_CLIP}, **FAST}
    trainer = grpo.build_trainer(grpo.load_config(None, overrides))
    tokens = trainer.processing_class.tokenizer.convert_ids_to_tokens(trainer.generation_config.suppress_tokens)
    assert {"<|image_pad|>", "<|video_pad|>", "<|vision_start|>", "<|vision_end|>"} <= set(tokens)

    mine = grpo.load_config(None, {**overrides, "generation_kwargs": {"suppress_tokens": [7]}})
    grpo.suppress_placeholders(mine, trainer.processing_class.tokenizer)
    assert mine.generation_kwargs == {"suppress_tokens": [7]}  # a user's own choice is kept


@pytest.mark.parametrize("name", sorted(p.name for p in CONFIGS.glob("*.yaml") if not p.name.startswith(("accelerate", "deepspeed", "verl"))))
def test_example_configs_load(name):
    from vagent.training import collect, grpo, sft

    loader = {"collect": collect.load_config, "sft": sft.load_config, "grpo": grpo.load_config}[name.split("_")[0]]
    config = loader(CONFIGS / name, ["bf16=false"] if name.split("_")[0] != "collect" else None)  # no GPU here
    assert config is not None
    if name.startswith("grpo"):  # trackers (report_to: tensorboard) and checkpoints write the config as JSON
        import json

        assert json.loads(config.to_json_string())["env"]["budget"]["max_frames"] == config.env.budget.max_frames
        assert "env" in config.to_sanitized_dict()


def test_verl_recipe_names_the_vagent_loop_and_its_settings_load():
    """The verl recipe is written for GPUs and not run here; what it names is: the loop, and its env as an EnvConfig."""
    import yaml

    from vagent.faces.verl_tools import env_config_from

    recipe = yaml.safe_load((CONFIGS / "verl_grpo_qwen3vl_2b.yaml").read_text())
    agent = recipe["actor_rollout_ref"]["rollout"]["agent"]
    assert agent["default_agent_loop"] == "vagent" and Path(agent["agent_loop_config_path"]).name == "verl_agent_loop.yaml"
    (entry,) = yaml.safe_load((CONFIGS / "verl_agent_loop.yaml").read_text())
    assert entry["name"] == "vagent" and entry["_target_"] == "vagent.faces.verl_agent_loop.VagentAgentLoop"
    assert env_config_from(entry["env"]).budget.max_frames == 32


def test_config_errors_name_the_problem():
    from vagent.training import collect, grpo

    with pytest.raises(ConfigError, match="unknown field"):
        collect.load_config(None, ["attemps=3"])
    with pytest.raises(ConfigError, match="temperature"):
        collect.load_config(None, ["attempts=3"])
    with pytest.raises(ConfigError, match="reward_weights has 1"):
        grpo.load_config(None, {"env": {"reward": "accuracy:1,format:0.2"}, "reward_weights": [1.0]})
    with pytest.raises(ConfigError, match="unknown reward"):
        grpo.load_config(None, ["env.reward=acuracy"])


def test_flat_environment_fields_of_old_configs_are_forwarded_under_env_with_a_warning():
    """vagent 0.1's flat reward / max_* / overview_frames / index (and GRPO's flat clip_*) still load, as ``env``."""
    from vagent.training import collect, grpo

    with pytest.warns(FutureWarning, match=r"max_frames -> env\.budget\.max_frames"):
        old = collect.load_config(None, ["reward=format", "max_turns=3", "max_frames=9", "overview_frames=2",
                                         "index.clip_model=ViT-S-32"])
    new = collect.load_config(None, ["env.reward=format", "env.budget.max_turns=3", "env.budget.max_frames=9",
                                     "env.overview_frames=2", "env.index.clip_model=ViT-S-32"])
    assert old.env == new.env and old.env.budget.max_frames == 9 and old.env.index.clip_model == "ViT-S-32"
    with pytest.warns(FutureWarning, match="moved under env"):
        old = grpo.load_config(None, {"reward": "format", "max_frames": 9, "clip_model": "ViT-S-32", "clip_pretrained": None,
                                      "bf16": False})
    assert old.env.reward == "format" and old.env.budget.max_frames == 9 and old.env.index.allow_random_clip
    assert old.reward_weights == [1.0]
    with pytest.raises(ConfigError, match="both set"), pytest.warns(FutureWarning):
        collect.load_config(None, ["max_frames=9", "env.budget.max_frames=8"])
    with pytest.raises(ConfigError, match="max_tool_calling_iterations"):
        grpo.load_config(None, ["env.budget.max_turns=3"])


def test_collect_with_a_server_teacher_that_does_not_answer_fails_in_seconds(collected, tmp_path):
    """A URL teacher is asked for /models before any task runs, with the config's timeouts."""
    import socket
    import time

    from vagent.errors import VagentError
    from vagent.training import collect

    root, _ = collected
    silent = socket.socket()  # accepts connections (backlog) but never answers
    silent.bind(("127.0.0.1", 0))
    silent.listen(8)
    try:
        config = collect.load_config(None, {"tasks": str(root / "suite" / "tasks.jsonl"), "out": str(tmp_path / "out.jsonl"),
                                            "policy": f"http://127.0.0.1:{silent.getsockname()[1]}/v1", "read_timeout": 0.5,
                                            "env": {"index": RANDOM_CLIP}, "progress": False})
        started = time.perf_counter()
        with pytest.raises(VagentError, match="sent no answer within 0.5s"):
            collect.run(config)
        assert time.perf_counter() - started < 5
    finally:
        silent.close()
    with pytest.raises(Exception, match="read_timeout must be a positive number"):
        collect.load_config(None, {"tasks": "x.jsonl", "read_timeout": 0})
