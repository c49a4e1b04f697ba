"""Supervised fine-tuning on collected tool-using trajectories (TRL ``SFTTrainer``).

Reads the JSONL that ``vagent train collect`` writes and trains with assistant-only loss: the
prompt, the overview frames and every tool result (text and images) are context, only the
model's own turns (``<think>``, ``<tool_call>``, ``<answer>``) carry loss. TRL swaps in its
``*_training.jinja`` template (``{% generation %}`` markers) for the assistant mask.

Messages are stored as JSON text and rebuilt per batch with PIL images inline (``with_transform``):
Arrow would otherwise merge the keys of content blocks and break image placeholders. The tool
schemas are rendered into the system message exactly as the chat template renders them for
GRPO and inference (the VLM collator does not pass ``tools=``), so SFT and RL see one prompt.

    vagent train sft --config training/configs/sft_tiny.yaml
    accelerate launch --config_file training/configs/accelerate_zero3.yaml -m vagent.training.sft \
        --config training/configs/sft_qwen3vl_8b.yaml
"""

from __future__ import annotations

import json
import math
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from vagent.training.sft_config import VagentSFTConfig, load_config

__all__ = ["SFTResult", "load_config", "load_trajectories", "run", "system_with_tools"]


@dataclass
class SFTResult:
    """What :func:`run` produced."""

    output_dir: Path
    steps: int
    train_loss: float
    examples: int
    resumed_from: Path | None = None
    """The checkpoint training continued from (``resume_from_checkpoint``), if any."""


# ------------------------------------------------------------------------------------------ data
def system_with_tools(processor: Any, system_text: str, tools: list[dict[str, Any]]) -> str:
    """The system content that renders, WITHOUT ``tools=``, exactly as ``system_text`` does WITH them.

    Found by rendering a system-only conversation both ways (template-agnostic for templates that
    put the tool list inside the system turn, as Qwen's do); falls back to ``system_text``.
    """
    mark = "\x00VAGENT\x00"
    bare = processor.apply_chat_template([{"role": "system", "content": mark}], tokenize=False)
    full = processor.apply_chat_template([{"role": "system", "content": system_text}], tools=tools, tokenize=False)
    prefix, _, suffix = bare.partition(mark)
    if not tools or not full.startswith(prefix) or not full.endswith(suffix) or len(full) < len(prefix) + len(suffix):
        return system_text
    return full[len(prefix) : len(full) - len(suffix)]


def _image(path: Path, max_side: int | None) -> Any:
    from PIL import Image

    image = Image.open(path).convert("RGB")
    if max_side and max(image.size) > max_side:
        scale = max_side / max(image.size)
        image = image.resize((max(1, round(image.width * scale)), max(1, round(image.height * scale))))
    return image


def rebuild_messages(messages: list[dict[str, Any]], root: Path, system: str | None, max_side: int | None,
                     text_only: bool = False) -> list[dict[str, Any]]:
    """Stored messages → trainer messages: image paths become PIL images (``text_only``: every
    content one string, images as their timestamp lines), the system text gets the tools."""
    from vagent.agent.messages import text_of_blocks

    out = []
    for message in messages:
        content = message["content"]
        if message["role"] == "system" and system is not None:
            content = system
        elif text_only:
            content = text_of_blocks(content)
        elif isinstance(content, list):
            content = [
                {"type": "image", "image": _image(root / block["image"], max_side)}
                if block.get("type") == "image" else {"type": "text", "text": block.get("text", "")}
                for block in content
            ]
        rebuilt = {"role": message["role"], "content": content}
        if message.get("name"):
            rebuilt["name"] = message["name"]
        out.append(rebuilt)
    return out


def load_trajectories(path: str | Path, processor: Any, max_image_side: int | None = 384, text_only: bool = False) -> Any:
    """The collected JSONL as a :class:`datasets.Dataset` whose rows come out as ``{"messages", "images"}``
    (``text_only``: a plain dataset of ``{"messages"}`` with string contents, for a causal LM)."""
    import datasets

    path = Path(path)
    rows = [json.loads(line) for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
    if not rows:
        raise ValueError(f"{path}: no trajectories (collect with a lower min_reward or more attempts)")
    tools = rows[0].get("tools") or []
    system_cache: dict[str, str] = {}

    def rebuilt(stored: list[dict[str, Any]]) -> list[dict[str, Any]]:
        system = next((m["content"] for m in stored if m["role"] == "system"), None)
        if system and system not in system_cache:
            system_cache[system] = system_with_tools(processor, system, tools)
        return rebuild_messages(stored, path.parent, system_cache[system] if system else None,
                                None if text_only else max_image_side, text_only=text_only)

    if text_only:
        return datasets.Dataset.from_dict({"messages": [rebuilt(r["messages"]) for r in rows]})
    dataset = datasets.Dataset.from_dict(
        {"id": [r["id"] for r in rows], "messages_json": [json.dumps(r["messages"]) for r in rows]}
    )

    def transform(batch: dict[str, list[Any]]) -> dict[str, list[Any]]:
        messages = [rebuilt(json.loads(text)) for text in batch["messages_json"]]
        return {"messages": messages, "images": [[] for _ in messages]}

    return dataset.with_transform(transform)


# -------------------------------------------------------------------------------------- training
def build_trainer(config: VagentSFTConfig) -> Any:
    """The :class:`trl.SFTTrainer` for ``config`` (model, processor, dataset, optional LoRA)."""
    import torch
    from transformers import AutoModelForCausalLM, AutoModelForImageTextToText, AutoProcessor, AutoTokenizer
    from trl import SFTTrainer

    from vagent.agent.hf_loading import model_kind
    from vagent.training._config import lora_config, model_path, quiet_library_deprecations, trl_tool_template

    quiet_library_deprecations()

    if not config.dataset:
        raise ValueError("sft: set dataset (a JSONL written by `vagent train collect`)")
    source = model_path(config.model)
    text_only = model_kind(source) == "text"
    dtype = getattr(torch, config.dtype) if config.dtype else "auto"
    if text_only:  # a causal LM: the tokenizer is the processor; rows are tokenized by TRL's own text path
        processor = trl_tool_template(AutoTokenizer.from_pretrained(source))
        model = AutoModelForCausalLM.from_pretrained(source, dtype=dtype)
        config.dataset_kwargs["skip_prepare_dataset"] = False
    else:
        processor = AutoProcessor.from_pretrained(source)
        model = AutoModelForImageTextToText.from_pretrained(source, dtype=dtype)
    train_dataset = load_trajectories(config.dataset, processor, config.max_image_side, text_only)
    return SFTTrainer(model=model, args=config, train_dataset=train_dataset, processing_class=processor,
                      peft_config=lora_config(config))


def run(config: VagentSFTConfig) -> SFTResult:
    """Train, save the model + processor to ``output_dir`` (LoRA: merged, see ``save_outputs``); resumes if asked."""
    from vagent.training._config import resume_path, save_outputs

    trainer = build_trainer(config)
    resume = resume_path(config.resume_from_checkpoint, config.output_dir)
    output = trainer.train(resume_from_checkpoint=resume)
    save_outputs(trainer, config.output_dir, config.merge_adapter)
    loss = float(output.training_loss) if output.training_loss is not None else math.nan
    return SFTResult(Path(config.output_dir), int(trainer.state.global_step), loss, len(trainer.train_dataset),
                     Path(resume) if resume else None)


def main(argv: list[str] | None = None) -> None:
    """``python -m vagent.training.sft --config FILE [key=value ...]`` (for ``accelerate launch``)."""
    import argparse

    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--config", default=None)
    parser.add_argument("overrides", nargs="*", help="key=value")
    args = parser.parse_args(argv)
    print(run(load_config(args.config, args.overrides)))


if __name__ == "__main__":
    main()
