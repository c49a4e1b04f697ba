"""Configuration of :mod:`vagent.training.sft`: TRL's ``SFTConfig`` plus vagent's fields."""

from __future__ import annotations

import os
from dataclasses import dataclass, field
from typing import Any

from trl import SFTConfig

from vagent.errors import ConfigError
from vagent.training._config import LoraFields

__all__ = ["VagentSFTConfig", "load_config"]


@dataclass
class VagentSFTConfig(SFTConfig, LoraFields):
    r"""Supervised fine-tuning of a video tool-using VLM on collected trajectories.

    Every :class:`trl.SFTConfig` / ``TrainingArguments`` field is accepted (``learning_rate``,
    ``num_train_epochs``, ``max_steps``, ``per_device_train_batch_size``, ``output_dir``,
    ``save_steps``, ``bf16``, ``deepspeed``, ...). Only the fields below are vagent's.

    Parameters that pick the model and data:
        model (`str`, defaults to `"tiny"`):
            Hub id or local folder of an image-text-to-text model whose chat template supports tools
            (Qwen3-VL is TRL's tested family); `"tiny"` is the locally built random tiny Qwen3-VL.
        dataset (`str`, defaults to `""`):
            A JSONL written by `vagent train collect` (required).
        max_image_side (`int` or `None`, defaults to `384`):
            Images are shrunk so their longer side is at most this (`None`: leave to the processor).
        dtype (`str` or `None`, defaults to `None`):
            Model weights dtype (`"bfloat16"`, `"float32"`, ...); `None` lets transformers choose.

    Parameters that control LoRA (peft):
        use_peft (`bool`, defaults to `False`): train LoRA adapters instead of all weights.
        lora_r (`int`, defaults to `16`), lora_alpha (`int`, defaults to `32`),
        lora_dropout (`float`, defaults to `0.05`): the usual LoRA knobs.
        lora_target_modules (`str` or `list[str]`, defaults to `"all-linear"`): modules to adapt.
        merge_adapter (`bool`, defaults to `True`): with `use_peft`, save the merged model in
            `output_dir` (a full model folder, usable by GRPO, vLLM and `vagent ask`) and the adapter
            alone in `output_dir/adapter`; `False` saves only the adapter in `output_dir`.

    Defaults that differ from TRL's ``SFTConfig``: ``assistant_only_loss=True`` (prompts and tool
    results carry no loss), ``remove_unused_columns=False`` (messages are rebuilt with images on
    the fly), ``max_length=None`` (truncation could cut through an image's tokens; cap sequence
    length through the collection budget instead), ``report_to="none"``, ``output_dir="runs/sft"``.
    """

    model: str = field(default="tiny", metadata={"help": "Hub id, local folder, or 'tiny'."})
    dataset: str = field(default="", metadata={"help": "JSONL written by `vagent train collect`."})
    max_image_side: int | None = field(default=384, metadata={"help": "Longest image side in pixels."})
    dtype: str | None = field(default=None, metadata={"help": "Model dtype name, or None for the default."})

    # Defaults that differ from TRL's.
    output_dir: str | None = field(default="runs/sft", metadata={"help": "Checkpoints and logs."})
    assistant_only_loss: bool = field(default=True, metadata={"help": "Loss on assistant tokens only."})
    remove_unused_columns: bool | None = field(default=False, metadata={"help": "Keep the raw message column."})
    max_length: int | None = field(default=None, metadata={"help": "Token cap per example (None: no truncation)."})
    report_to: Any = field(default="none", metadata={"help": "Trackers (tensorboard, wandb, ...)."})
    activation_checkpointing: bool | None = field(default=None, metadata={"help": "Trade compute for memory (None: on, as in TRL)."})
    gradient_checkpointing: bool | None = field(default=None, metadata={"help": "Deprecated name of activation_checkpointing."})

    def __post_init__(self) -> None:
        if self.dataset_kwargs is None:
            self.dataset_kwargs = {}
        self.dataset_kwargs.setdefault("skip_prepare_dataset", True)  # rows are tokenized by the collator
        from vagent.training._config import checkpointing_default, cpu_precision

        checkpointing_default(self)
        cpu_precision(self)  # bf16 only where a GPU supports it (unless set explicitly)
        super().__post_init__()
        if self.remove_unused_columns:
            raise ConfigError("remove_unused_columns=True drops the messages column vagent rebuilds with images; set it to False")
        if self.packing:
            raise ConfigError("packing=True is not supported for image datasets; set packing: false")
        if self.max_image_side is not None and self.max_image_side < 32:
            raise ConfigError(f"max_image_side={self.max_image_side} is too small (>= 32 pixels, or null)")
        if self.use_peft and self.lora_r < 1:
            raise ConfigError(f"lora_r must be >= 1 with use_peft, got {self.lora_r}")


def load_config(path: str | os.PathLike[str] | None = None, overrides: Any = None) -> VagentSFTConfig:
    """A :class:`VagentSFTConfig` from YAML (``None``: defaults) and ``key=value`` overrides."""
    from vagent.training._config import build, load_yaml

    return build(VagentSFTConfig, load_yaml(path, overrides), str(path or "sft config"))
