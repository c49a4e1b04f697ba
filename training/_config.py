"""YAML configs for the training entry points: ``load_yaml(path, overrides)`` and dataclass building."""

from __future__ import annotations

import dataclasses
import os
import typing
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from vagent.errors import ConfigError


@dataclass
class LoraFields:
    """The LoRA (peft) fields of the SFT and GRPO configs (read by :func:`lora_config` and :func:`save_outputs`)."""

    use_peft: bool = field(default=False, metadata={"help": "Train LoRA adapters (peft)."})
    lora_r: int = field(default=16, metadata={"help": "LoRA rank."})
    lora_alpha: int = field(default=32, metadata={"help": "LoRA alpha."})
    lora_dropout: float = field(default=0.05, metadata={"help": "LoRA dropout."})
    lora_target_modules: Any = field(default="all-linear", metadata={"help": "LoRA target modules."})
    merge_adapter: bool = field(default=True, metadata={"help": "LoRA: save the merged model in output_dir."})


def parse_overrides(overrides: Mapping[str, Any] | Sequence[str] | None) -> dict[str, Any]:
    """``{"key": value}`` from a mapping or ``["key=value", ...]`` (values read as YAML: ``3`` is an int).

    >>> parse_overrides(["learning_rate=1e-5", "use_peft=true", "model=tiny"])
    {'learning_rate': 1e-05, 'use_peft': True, 'model': 'tiny'}
    """
    import yaml

    if overrides is None:
        return {}
    if isinstance(overrides, Mapping):
        return dict(overrides)
    parsed: dict[str, Any] = {}
    for item in overrides:
        key, sep, value = str(item).partition("=")
        if not sep or not key.strip():
            raise ConfigError(f"override {item!r} must look like key=value")
        loaded = yaml.safe_load(value) if value.strip() else None
        if isinstance(loaded, str) or loaded is None:
            loaded = value if value.strip() else None
        # YAML reads 1e-5 as a string; numbers in scientific notation should be floats
        if isinstance(loaded, str):
            try:
                loaded = float(loaded) if any(c in loaded.lower() for c in "e.") and loaded[0] in "+-.0123456789" else loaded
            except ValueError:
                pass
        parsed[key.strip()] = loaded
    return parsed


def load_yaml(path: str | os.PathLike[str] | None, overrides: Mapping[str, Any] | Sequence[str] | None = None) -> dict[str, Any]:
    """The YAML mapping at ``path`` (``None``: empty) updated with ``overrides``.

    A dotted override key sets a nested field: ``index.clip_model=ViT-S-32``.
    """
    import yaml

    data: dict[str, Any] = {}
    if path is not None:
        path = Path(path)
        try:
            loaded = yaml.safe_load(path.read_text(encoding="utf-8"))
        except OSError as exc:
            raise ConfigError(f"{path}: cannot read config ({exc.strerror or exc})") from None
        except yaml.YAMLError as exc:
            raise ConfigError(f"{path}: not valid YAML ({exc})") from None
        if loaded is not None and not isinstance(loaded, dict):
            raise ConfigError(f"{path}: a config must be a YAML mapping of field: value, got {type(loaded).__name__}")
        data = loaded or {}
    for key, value in parse_overrides(overrides).items():
        target = data
        *parents, leaf = key.split(".")  # "index.clip_model=ViT-S-32" sets a nested field
        for parent in parents:
            if not isinstance(target.get(parent), dict):
                target[parent] = {}
            target = target[parent]
        target[leaf] = value
    return data


ENV_FIELDS: dict[str, tuple[str, ...]] = {
    "reward": ("reward",),
    "overview_frames": ("overview_frames",),
    "index": ("index",),
    "max_turns": ("budget", "max_turns"),
    "max_frames": ("budget", "max_frames"),
    "max_seconds": ("budget", "max_seconds"),
}
"""Flat fields of vagent 0.1 configs and where they live now under ``env:`` (an ``EnvConfig``)."""


def nest_env_fields(data: dict[str, Any], where: str, flat_names: Sequence[str]) -> dict[str, Any]:
    """``data`` with the flat environment fields among ``flat_names`` moved under ``env:`` (a ``FutureWarning``).

    >>> import warnings
    >>> with warnings.catch_warnings():
    ...     warnings.simplefilter("ignore")
    ...     nest_env_fields({"max_frames": 8, "reward": "format"}, "config", ["max_frames", "reward"])
    {'env': {'budget': {'max_frames': 8}, 'reward': 'format'}}
    """
    import warnings

    flat = [name for name in flat_names if name in data]
    if not flat:
        return data
    data, env = dict(data), _mapping(data.get("env"), f"{where}: env")
    moved = ", ".join(f"{name} -> env.{'.'.join(ENV_FIELDS[name])}" for name in flat)
    warnings.warn(f"{where}: environment fields moved under env: ({moved}); the flat spelling will be removed in vagent 0.3",
                  FutureWarning, stacklevel=3)
    for name in flat:
        *parents, leaf = ENV_FIELDS[name]
        target = env
        for parent in parents:
            target[parent] = target = _mapping(target.get(parent), f"{where}: env.{parent}")
        if leaf in target:
            raise ConfigError(f"{where}: {name} and env.{'.'.join(ENV_FIELDS[name])} are both set; keep env.{'.'.join(ENV_FIELDS[name])}")
        target[leaf] = data.pop(name)
    data["env"] = env
    return data


def _mapping(value: Any, where: str) -> dict[str, Any]:
    """A copy of a nested config mapping (``None``: empty)."""
    if value is None:
        return {}
    if not isinstance(value, Mapping):
        raise ConfigError(f"{where}: expected a mapping of fields, got {value!r}")
    return dict(value)


def build(cls: type, data: Mapping[str, Any], where: str = "config") -> Any:
    """``cls(**data)``, building nested dataclass fields from mappings; unknown keys are an error."""
    names = {f.name: f for f in dataclasses.fields(cls) if f.init}
    unknown = sorted(set(data) - set(names))
    if unknown:
        import difflib

        hints_text = "; ".join(
            f"{key}: did you mean {', '.join(close)}?" for key in unknown
            if (close := difflib.get_close_matches(key, list(names), n=3))
        )
        raise ConfigError(f"{where}: unknown field(s) {', '.join(unknown)} for {cls.__name__}"
                          + (f" ({hints_text})" if hints_text else " (see its docstring for the fields)"))
    try:
        hints = typing.get_type_hints(cls)
    except Exception:  # unresolvable annotations in a parent class: no nested building
        hints = {}
    kwargs = {}
    for key, value in data.items():
        kind = hints.get(key)
        if isinstance(value, Mapping) and dataclasses.is_dataclass(kind):
            value = build(kind, value, f"{where}.{key}")
        kwargs[key] = value
    try:
        return cls(**kwargs)
    except (TypeError, ValueError) as exc:
        raise ConfigError(f"{where}: {exc}") from None


def model_path(name: str) -> str:
    """A local model folder to train from: ``"tiny"`` builds the tiny Qwen3-VL; a Hub id is found in
    the cache or downloaded (failing fast offline); a missing path is a :class:`ModelLoadError`.

    An adapter-only folder is refused with the command that merges it: a trainer would otherwise
    build its KL reference (and vLLM its engine) from the adapter's base, not from the adapted model.
    """
    if name == "tiny":
        from vagent.agent.tiny_model import tiny_model_path

        return str(tiny_model_path())
    from vagent.agent.hf_loading import adapter_base, resolve_model_dir
    from vagent.errors import ModelLoadError

    folder = resolve_model_dir(name)
    base = adapter_base(folder)
    if base is not None:
        raise ModelLoadError(f"{folder} holds only a LoRA adapter (base {base}); train from a full model: "
                             f"`vagent train merge {folder} --out {folder}-merged`, then model: {folder}-merged")
    return str(folder)


def trl_tool_template(tokenizer: Any) -> Any:
    """``tokenizer`` with TRL's ChatML tool template when its own would not work in TRL's tool loop
    (:func:`vagent.agent.text_models.tool_template`); said once on stderr. The saved model keeps it,
    so inference after training renders prompts as training did."""
    from vagent.agent.text_models import TOOL_TEMPLATE, tool_template

    template = tool_template(tokenizer)
    if template is not None:
        import sys

        print(f"note: the chat template has no tools section TRL knows; training with TRL's {TOOL_TEMPLATE} "
              "ChatML template (same turn tokens, tools in the system turn)", file=sys.stderr)
        tokenizer.chat_template = template
    return tokenizer


def save_outputs(trainer: Any, output_dir: str | os.PathLike[str], merge_adapter: bool = True) -> Path:
    """Save what training produced so that ``output_dir`` is a model folder any entry point accepts.

    Full fine-tuning: model + processor. LoRA: the adapter (+ processor) in ``output_dir/adapter``
    and, with ``merge_adapter``, the merged model + processor in ``output_dir`` itself (usable by
    ``vagent ask``, ``vagent eval``, GRPO, vLLM). Without merging ``output_dir`` holds the adapter
    alone (``vagent ask`` loads base + adapter; training needs ``vagent train merge``).
    """
    from peft import PeftModel

    out = Path(output_dir)
    processor = trainer.processing_class
    model = trainer.accelerator.unwrap_model(trainer.model)
    if not isinstance(model, PeftModel) or not merge_adapter:
        trainer.save_model(str(out))
        if trainer.is_world_process_zero():
            processor.save_pretrained(str(out))
        return out
    trainer.save_model(str(out / "adapter"))  # gathers sharded weights where needed
    if trainer.is_world_process_zero():
        processor.save_pretrained(str(out / "adapter"))
        model.merge_and_unload().save_pretrained(str(out))
        processor.save_pretrained(str(out))
    return out


def merge_adapter(adapter_dir: str | os.PathLike[str], out: str | os.PathLike[str]) -> Path:
    """Merge a LoRA adapter folder into its base model and save the full model + processor to ``out``."""
    from vagent.agent.hf_loading import adapter_base, load_model

    adapter_dir, out = Path(adapter_dir), Path(out)
    if adapter_base(adapter_dir) is None:
        raise ConfigError(f"{adapter_dir} is not a LoRA adapter folder (no adapter_config.json, or it has config.json)")
    processor, model = load_model(adapter_dir)
    model.save_pretrained(str(out))
    processor.save_pretrained(str(out))
    return out


def lora_config(config: Any) -> Any:
    """A peft ``LoraConfig`` from a config's ``use_peft``/``lora_*`` fields, or ``None``."""
    if not getattr(config, "use_peft", False):
        return None
    from peft import LoraConfig

    return LoraConfig(
        r=config.lora_r,
        lora_alpha=config.lora_alpha,
        lora_dropout=config.lora_dropout,
        target_modules=config.lora_target_modules,
        task_type="CAUSAL_LM",
    )


def resume_path(value: Any, output_dir: str | None) -> Any:
    """``resume_from_checkpoint`` for ``trainer.train``: ``"last"``/``true`` → newest checkpoint in ``output_dir``."""
    if value in (True, "true", "True", "last", "auto"):
        from transformers.trainer_utils import get_last_checkpoint

        found = get_last_checkpoint(output_dir) if output_dir and Path(output_dir).is_dir() else None
        return found  # None: nothing to resume, start fresh
    return value or None


def checkpointing_default(config: Any) -> None:
    """TRL's default (activation checkpointing on) under transformers' current name, so that only a
    config that spells the deprecated ``gradient_checkpointing`` gets transformers' FutureWarning."""
    if config.activation_checkpointing is None and config.gradient_checkpointing is None:
        config.activation_checkpointing = True


def quiet_library_deprecations() -> None:
    """Hide deprecation warnings raised inside TRL/peft about names they still use (nothing a user can change)."""
    import warnings

    warnings.filterwarnings("ignore", message=r"`is_gradient_checkpointing` is deprecated", category=FutureWarning)


def cpu_precision(config: Any) -> None:
    """Where there is no CUDA device: ``bf16`` left unset becomes False (TRL defaults it to True), and
    the data loader does not pin memory (torch warns on every run otherwise)."""
    import torch

    if torch.cuda.is_available():
        return
    if getattr(config, "bf16", None) is None and not getattr(config, "fp16", False):
        config.bf16 = False
    config.dataloader_pin_memory = False
