"""A tiny, randomly initialised Qwen3-VL checkpoint for tests, CI and offline smoke runs.

:func:`build_tiny_model` writes a real checkpoint folder (``save_pretrained`` of the model and
its processor), so :class:`vagent.agent.hf_policy.TransformersPolicy` and TRL load it through
exactly the code paths a Hub model such as ``Qwen/Qwen3-VL-2B-Instruct`` takes. It has the
Qwen3-VL architecture at toy sizes (about 1.3M parameters), a byte-level BPE tokenizer trained in
a second on built-in text, every Qwen placeholder (``<|image_pad|>``, ``<|im_start|>``, ...) and
the tool tags (``<tool_call>``, ``<think>``, ...) as single tokens, and TRL's own
``qwen3_vl.jinja`` chat template, so TRL recognises it as a tool-calling VLM.

Its weights are random: it emits token soup, never a parseable tool call. Use it to exercise
plumbing (loading, templating, generation, training steps), not behaviour.

>>> path = tiny_model_path()  # doctest: +SKIP
>>> TransformersPolicy(str(path)).generate(messages, tools)  # doctest: +SKIP
"""

from __future__ import annotations

import json
import os
import shutil
import tempfile
from pathlib import Path

TINY_MODEL_NAME = "tiny-qwen3-vl-v1"
"""Cache folder name; bump the version when the recipe changes so old caches are not reused."""

SPECIAL_TOKENS = [
    "<|endoftext|>",
    "<|im_start|>",
    "<|im_end|>",
    "<|object_ref_start|>",
    "<|object_ref_end|>",
    "<|box_start|>",
    "<|box_end|>",
    "<|quad_start|>",
    "<|quad_end|>",
    "<|vision_start|>",
    "<|vision_end|>",
    "<|vision_pad|>",
    "<|image_pad|>",
    "<|video_pad|>",
]
"""Control tokens, special as in Qwen's tokenizer (``skip_special_tokens`` drops them)."""

TAG_TOKENS = ["<tool_call>", "</tool_call>", "<tool_response>", "</tool_response>", "<think>", "</think>"]
"""Protocol tags: single tokens but NOT special (as in Qwen3), so decoding never drops them."""

_CORPUS = """<think>I should look at the frames around the event first.</think>
<tool_call>
{"name": "search_frames", "arguments": {"query": "a person opens the door", "top_k": 4}}
</tool_call>
<tool_call>
{"name": "get_frames", "arguments": {"start": 12.5, "end": 15.0, "count": 4}}
</tool_call>
<tool_response>
Found 4 frames. t=12.50s t=13.25s t=14.00s t=14.75s
</tool_response>
<answer>B</answer> <answer>[12.0, 15.5]</answer> <answer>[0.10, 0.20, 0.55, 0.80]</answer>
You answer questions about a video by looking at it with tools. Every frame you see is preceded
by its timestamp, e.g. t=12.50s (seconds from the start of the video). Video duration: 63.20s.
Question: What colour is the car that drives past? Options: A) red B) blue C) green D) white
Here are 4 overview frames sampled evenly across the video. detect_scenes zoom crop read_text
The quick brown fox jumps over the lazy dog. 0123456789 {"type": "function", "function":
{"name", "description", "parameters", "properties", "required", "string", "number", "integer"}}
"""


def _train_tokenizer(vocab_size: int = 640):
    """A byte-level BPE (full 256-byte alphabet) plus Qwen's placeholders, as a Qwen2Tokenizer."""
    from tokenizers import Tokenizer, decoders, models, pre_tokenizers, trainers
    from transformers import Qwen2Tokenizer

    bpe = Tokenizer(models.BPE())
    bpe.pre_tokenizer = pre_tokenizers.ByteLevel(add_prefix_space=False)
    bpe.decoder = decoders.ByteLevel()
    trainer = trainers.BpeTrainer(
        vocab_size=vocab_size,
        initial_alphabet=pre_tokenizers.ByteLevel.alphabet(),
        special_tokens=["<|endoftext|>"],
        show_progress=False,
    )
    bpe.train_from_iterator([_CORPUS] * 4, trainer=trainer)
    model = json.loads(bpe.to_str())["model"]
    merges = [tuple(m.split(" ", 1)) if isinstance(m, str) else tuple(m) for m in model["merges"]]
    extra = {
        "image_token": "<|image_pad|>",
        "video_token": "<|video_pad|>",
        "vision_start_token": "<|vision_start|>",
        "vision_end_token": "<|vision_end|>",
    }
    tokenizer = Qwen2Tokenizer(
        vocab=model["vocab"],
        merges=merges,
        unk_token=None,
        eos_token="<|im_end|>",
        pad_token="<|endoftext|>",
        extra_special_tokens=extra,
        model_max_length=32768,
    )
    from tokenizers import AddedToken

    tokenizer.add_tokens([AddedToken(t, special=True, normalized=False) for t in SPECIAL_TOKENS], special_tokens=True)
    tokenizer.add_tokens([AddedToken(t, special=False, normalized=False) for t in TAG_TOKENS])
    return tokenizer


def _chat_template() -> str:
    """TRL's Qwen3-VL template, read from the installed trl (byte-identical, so TRL recognises it)."""
    import trl

    return (Path(trl.__file__).parent / "chat_templates" / "qwen3_vl.jinja").read_text(encoding="utf-8")


def build_tiny_model(out_dir: str | os.PathLike[str], seed: int = 0) -> Path:
    """Build and save a tiny random Qwen3-VL (model + processor) into ``out_dir``; return the path."""
    import torch
    from transformers import (
        GenerationConfig,
        Qwen2VLImageProcessor,
        Qwen3VLConfig,
        Qwen3VLForConditionalGeneration,
        Qwen3VLProcessor,
    )
    from transformers.models.qwen3_vl.video_processing_qwen3_vl import Qwen3VLVideoProcessor

    out = Path(out_dir)
    out.mkdir(parents=True, exist_ok=True)
    tokenizer = _train_tokenizer()
    ids = {t: tokenizer.convert_tokens_to_ids(t) for t in SPECIAL_TOKENS + TAG_TOKENS}
    assert len(set(ids.values())) == len(ids), "placeholder tokens must be distinct single tokens"

    patch, merge, temporal = 16, 2, 2
    pixels_per_token = (patch * merge) ** 2
    vision = dict(
        patch_size=patch,
        merge_size=merge,
        temporal_patch_size=temporal,
        image_mean=[0.5, 0.5, 0.5],
        image_std=[0.5, 0.5, 0.5],
        # at most 64 visual tokens per image: keeps CPU prompts short
        size={"shortest_edge": 4 * pixels_per_token, "longest_edge": 64 * pixels_per_token},
    )
    image_processor = Qwen2VLImageProcessor(**vision)
    video_processor = Qwen3VLVideoProcessor(**vision)
    processor = Qwen3VLProcessor(
        image_processor=image_processor,
        tokenizer=tokenizer,
        video_processor=video_processor,
        chat_template=_chat_template(),
    )

    config = Qwen3VLConfig(
        text_config={
            "vocab_size": len(tokenizer),
            "hidden_size": 128,
            "intermediate_size": 256,
            "num_hidden_layers": 4,
            "num_attention_heads": 4,
            "num_key_value_heads": 2,
            "head_dim": 32,
            "max_position_embeddings": 32768,
            "rope_parameters": {
                "rope_type": "default",
                "rope_theta": 5_000_000.0,
                "mrope_section": [4, 6, 6],
                "mrope_interleaved": True,
            },
            "tie_word_embeddings": True,
            "pad_token_id": ids["<|endoftext|>"],
            "bos_token_id": ids["<|endoftext|>"],
            "eos_token_id": ids["<|im_end|>"],
        },
        vision_config={
            "depth": 2,
            "hidden_size": 64,
            "intermediate_size": 128,
            "num_heads": 2,
            "patch_size": patch,
            "spatial_merge_size": merge,
            "temporal_patch_size": temporal,
            "out_hidden_size": 128,
            "num_position_embeddings": 576,
            "deepstack_visual_indexes": [1],
        },
        image_token_id=ids["<|image_pad|>"],
        video_token_id=ids["<|video_pad|>"],
        vision_start_token_id=ids["<|vision_start|>"],
        vision_end_token_id=ids["<|vision_end|>"],
        tie_word_embeddings=True,
    )
    torch.manual_seed(seed)
    model = Qwen3VLForConditionalGeneration(config)
    model.generation_config = GenerationConfig(
        bos_token_id=ids["<|endoftext|>"],
        eos_token_id=[ids["<|im_end|>"], ids["<|endoftext|>"]],
        pad_token_id=ids["<|endoftext|>"],
        do_sample=True,
        temperature=0.7,
        top_p=0.9,
    )
    model.save_pretrained(out)
    processor.save_pretrained(out)
    return out


def default_cache_dir() -> Path:
    """vagent's cache folder: ``$VAGENT_CACHE_DIR``, else the platform user cache ``vagent``."""
    env = os.environ.get("VAGENT_CACHE_DIR")
    if env:
        return Path(env).expanduser()
    import platformdirs

    return Path(platformdirs.user_cache_dir("vagent"))


def tiny_model_path(cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """The cached tiny model folder (``<cache>/models/tiny-qwen3-vl-v1``), built on first use.

    Safe across processes: built in a temporary folder under a file lock, then renamed into place.
    """
    from filelock import FileLock

    root = Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()
    models = root / "models"
    target = models / TINY_MODEL_NAME
    marker = target / "config.json"
    if marker.exists():
        return target
    models.mkdir(parents=True, exist_ok=True)
    with FileLock(str(models / f"{TINY_MODEL_NAME}.lock"), timeout=600):
        if marker.exists():
            return target
        staging = Path(tempfile.mkdtemp(prefix=f".{TINY_MODEL_NAME}-", dir=models))
        try:
            build_tiny_model(staging)
            if target.exists():  # a half-written folder from a crash: replace it
                shutil.rmtree(target)
            os.replace(staging, target)
        finally:
            if staging.exists():
                shutil.rmtree(staging, ignore_errors=True)
    return target
