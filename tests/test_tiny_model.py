"""The tiny Qwen3-VL checkpoint: builds, saves like a real one, and passes TRL's tool-calling checks."""

from __future__ import annotations

import os
import time
from pathlib import Path

import pytest

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("OMP_NUM_THREADS", "1")


from vagent.agent.tiny_model import SPECIAL_TOKENS, TAG_TOKENS, TINY_MODEL_NAME, tiny_model_path  # noqa: E402


@pytest.fixture(scope="module")
def processor(tiny_model_dir):
    from transformers import AutoProcessor

    return AutoProcessor.from_pretrained(tiny_model_dir)


def test_saved_like_a_real_checkpoint(tiny_model_dir):
    import json

    from transformers import AutoModelForImageTextToText

    names = {path.name for path in tiny_model_dir.iterdir()}
    expected = {"config.json", "model.safetensors", "tokenizer.json", "processor_config.json", "chat_template.jinja"}
    assert expected <= names
    assert tiny_model_dir.name == TINY_MODEL_NAME
    config = json.loads((tiny_model_dir / "config.json").read_text())
    assert config["model_type"] == "qwen3_vl"
    model = AutoModelForImageTextToText.from_pretrained(tiny_model_dir)
    assert type(model).__name__ == "Qwen3VLForConditionalGeneration"
    assert sum(p.numel() for p in model.parameters()) < 2_000_000


def test_tokenizer_placeholders_are_single_tokens(processor):
    tokenizer = processor.tokenizer
    for token in SPECIAL_TOKENS + TAG_TOKENS:
        assert tokenizer.tokenize(token) == [token]
    assert tokenizer.image_token_id == tokenizer.convert_tokens_to_ids("<|image_pad|>")
    assert processor.image_token_id == tokenizer.image_token_id
    # byte-level: any text round-trips, and the protocol tags survive skip_special_tokens (as in Qwen3)
    text = '<think>é 😀 ok</think><tool_call>\n{"name": "zoom", "arguments": {"t": 1.5}}\n</tool_call>'
    ids = tokenizer(text)["input_ids"]
    assert tokenizer.decode(ids, skip_special_tokens=True) == text


def test_chat_template_is_trls_and_passes_its_tool_checks(processor):
    import trl
    from trl.chat_template_utils import add_response_schema, is_chat_template_prefix_preserving, supports_tool_calling

    trl_template = (Path(trl.__file__).parent / "chat_templates" / "qwen3_vl.jinja").read_text(encoding="utf-8")
    assert processor.chat_template == trl_template
    assert supports_tool_calling(processor)
    assert is_chat_template_prefix_preserving(processor)
    add_response_schema(processor)  # raises for templates TRL does not recognise
    parsed = processor.tokenizer.parse_response(
        '<tool_call>\n{"name": "zoom", "arguments": {"t": 1.5}}\n</tool_call><|im_end|>', prefix=""
    )
    assert parsed["tool_calls"][0]["function"] == {"name": "zoom", "arguments": {"t": 1.5}}


def test_tiny_model_path_is_cached(tiny_model_dir):
    started = time.perf_counter()
    again = tiny_model_path(tiny_model_dir.parent.parent)
    assert again == tiny_model_dir
    assert time.perf_counter() - started < 1.0
    leftovers = [p.name for p in tiny_model_dir.parent.iterdir() if p.name.startswith(".")]
    assert leftovers == []


def test_cache_dir_from_environment(monkeypatch, tmp_path):
    from vagent.agent.tiny_model import default_cache_dir

    monkeypatch.setenv("VAGENT_CACHE_DIR", str(tmp_path))
    assert default_cache_dir() == tmp_path
    monkeypatch.delenv("VAGENT_CACHE_DIR")
    assert "vagent" in str(default_cache_dir())
