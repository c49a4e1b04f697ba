"""YAML configs for the training entry points: ``load_yaml(path, overrides)`` and dataclass building."""

from __future__ import annotations

import dataclasses
import os
import typing
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from vagent.errors import ConfigError


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
    """A local model folder: ``"tiny"`` builds the tiny Qwen3-VL; a Hub id is found in the cache or
    downloaded (failing fast offline); a missing path is a :class:`ModelLoadError` naming it."""
    if name == "tiny":
        from vagent.agent.tiny_model import tiny_model_path

        return str(tiny_model_path())
    from vagent.agent.hf_policy import resolve_model_dir

    return str(resolve_model_dir(name))


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


def cpu_precision(config: Any) -> None:
    """Leave ``bf16`` unset → False where there is no CUDA device (TRL defaults it to True)."""
    if getattr(config, "bf16", None) is None and not getattr(config, "fp16", False):
        import torch

        if not torch.cuda.is_available():
            config.bf16 = False
