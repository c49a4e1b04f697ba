"""Finding and loading a transformers model: device, dtype, Hub id, local folder or GGUF file, LoRA adapters.

Loading never hangs on the network: a Hub id is looked up in the local cache first; with
``HF_HUB_OFFLINE=1`` (or no network) an uncached id fails at once, and an unresponsive Hub within
:data:`HUB_TIMEOUT_S`, with a :class:`~vagent.errors.ModelLoadError` that says how to fix it. An
adapter-only folder (a LoRA run's ``adapter/``) loads as its base model with the adapter merged.
A ``.gguf`` file is converted once into a cached folder (:func:`vagent.agent.text_models.gguf_folder`).
"""

from __future__ import annotations

import json
import os
import threading
from pathlib import Path
from typing import Any

from vagent.agent.text_models import config_kind, gguf_folder, is_gguf
from vagent.errors import ModelLoadError

DEFAULT_MODEL = "Qwen/Qwen3-VL-2B-Instruct"
"""The smallest Qwen3-VL instruct model (about 2.1B parameters); Qwen3-VL is TRL's tested tool-calling VLM."""

HUB_TIMEOUT_S = 10.0
"""Seconds allowed for the Hub to answer whether an uncached model id exists."""


def pick_device(device: str | None = None) -> str:
    """``device`` if given, else ``cuda`` if available, else ``mps``, else ``cpu``."""
    if device:
        return device
    import torch

    if torch.cuda.is_available():
        return "cuda"
    mps = getattr(torch.backends, "mps", None)
    if mps is not None and mps.is_available():
        return "mps"
    return "cpu"


def pick_dtype(device: str, dtype: Any = None) -> Any:
    """``dtype`` (a torch dtype or its name) if given; else bf16 on CUDA, fp16 on MPS, fp32 on CPU."""
    import torch

    if isinstance(dtype, str):
        if dtype == "auto":
            dtype = None
        else:
            resolved = getattr(torch, dtype, None)
            if not isinstance(resolved, torch.dtype):
                raise ValueError(f"unknown dtype {dtype!r} (use e.g. 'bfloat16', 'float16', 'float32')")
            return resolved
    if dtype is not None:
        return dtype
    if device.startswith("cuda"):
        return torch.bfloat16 if torch.cuda.is_bf16_supported() else torch.float16
    if device.startswith("mps"):
        return torch.float16
    return torch.float32


def _looks_like_path(name: str) -> bool:
    """Hub ids are ``name`` or ``owner/name``; anything else is meant as a local path."""
    return name.startswith((".", "/", "~")) or name.count("/") > 1 or "\\" in name


def _offline() -> bool:
    from huggingface_hub import constants

    env = os.environ.get("HF_HUB_OFFLINE", "").strip().lower() in {"1", "true", "yes", "on"}
    return env or bool(getattr(constants, "HF_HUB_OFFLINE", False))


def resolve_model_dir(model_id_or_path: str | os.PathLike[str]) -> Path:
    """A local folder for ``model_id_or_path``, downloading a Hub id only if it is not cached.

    Raises :class:`ModelLoadError` quickly (no long network waits) when that is impossible.
    """
    name = str(model_id_or_path)
    local = Path(name).expanduser()
    if is_gguf(name):
        return gguf_folder(local)
    if local.is_dir():
        if not (local / "config.json").exists() and adapter_base(local) is None:
            raise ModelLoadError(f"{local} has no config.json: pass a folder written by save_pretrained "
                                 "(a model, or a LoRA adapter with adapter_config.json)")
        return local
    if isinstance(model_id_or_path, os.PathLike) or _looks_like_path(name) or local.exists():
        raise ModelLoadError(
            f"no model folder at {local}: pass an existing local path or a Hub id such as {DEFAULT_MODEL}"
        )

    from huggingface_hub import HfApi, snapshot_download
    from huggingface_hub.errors import HFValidationError, LocalEntryNotFoundError

    try:
        return Path(snapshot_download(name, local_files_only=True))
    except HFValidationError as exc:
        raise ModelLoadError(f"{name!r} is neither a local folder nor a valid Hub id ({exc})") from None
    except (LocalEntryNotFoundError, OSError, ValueError):
        pass
    fix = f"connect to the internet once so {name} can be downloaded, or pass a local model folder"
    if _offline():
        raise ModelLoadError(f"{name} is not in the local Hugging Face cache and HF_HUB_OFFLINE is set: {fix}")
    exc = _probe_hub(HfApi(), name, HUB_TIMEOUT_S)
    if exc is not None:  # network down, unknown repo, gated repo: all end here
        kind = exc.__class__.__name__
        if "RepositoryNotFound" in kind:
            raise ModelLoadError(
                f"no model {name} on the Hugging Face Hub: check the id or pass a local folder"
            ) from None
        if "GatedRepo" in kind:
            raise ModelLoadError(f"{name} is gated: accept its licence on the Hub and log in (hf auth login)") from None
        raise ModelLoadError(f"cannot reach the Hugging Face Hub for {name} ({kind}): {fix}") from None
    try:
        return Path(snapshot_download(name))
    except Exception as exc:
        raise ModelLoadError(f"download of {name} failed ({exc.__class__.__name__}: {str(exc)[:120]}): {fix}") from None


def adapter_base(folder: str | os.PathLike[str]) -> str | None:
    """The base model a LoRA adapter folder was trained from (``None``: not an adapter-only folder).

    A folder with its own ``config.json`` is a full model even when it also holds an adapter.
    """
    folder = Path(folder)
    if (folder / "config.json").exists() or not (folder / "adapter_config.json").is_file():
        return None
    try:
        base = json.loads((folder / "adapter_config.json").read_text(encoding="utf-8")).get("base_model_name_or_path")
    except (OSError, ValueError, AttributeError):
        raise ModelLoadError(f"{folder}/adapter_config.json is not a readable peft adapter config") from None
    if not base:
        raise ModelLoadError(f"{folder}/adapter_config.json names no base_model_name_or_path: cannot load the adapter")
    return str(base)


def model_kind(folder: str | os.PathLike[str]) -> str:
    """``"vlm"`` or ``"text"`` (a causal LM: a text-only agent) for a model folder or a LoRA adapter
    folder, by its (base) model's config: the one rule loading, inference and training share."""
    folder = Path(folder)
    base = adapter_base(folder)
    return config_kind(folder if base is None else resolve_model_dir(base))


def load_model(folder: str | os.PathLike[str], dtype: Any = "auto") -> tuple[Any, Any]:
    """``(processor, model)`` from a model folder, or from a LoRA adapter folder (base + adapter, merged).

    An image-text-to-text model loads with its processor; a causal LM (a text-only agent,
    :mod:`vagent.agent.text_models`) with its tokenizer in the processor's place. The adapter's own
    processor files are used when it has them (training saves them there).
    """
    from transformers import AutoModelForCausalLM, AutoModelForImageTextToText, AutoProcessor, AutoTokenizer

    folder = Path(folder)
    base = adapter_base(folder)
    model_dir = folder if base is None else resolve_model_dir(base)
    text = model_kind(folder) == "text"
    auto_model, auto_processor = (AutoModelForCausalLM, AutoTokenizer) if text else (AutoModelForImageTextToText, AutoProcessor)
    if base is None:
        return auto_processor.from_pretrained(folder), auto_model.from_pretrained(folder, dtype=dtype)
    from peft import PeftModel

    own = ("tokenizer_config.json",) if text else ("processor_config.json", "preprocessor_config.json")
    processor = auto_processor.from_pretrained(folder if any((folder / n).exists() for n in own) else model_dir)
    model = auto_model.from_pretrained(model_dir, dtype=dtype)
    return processor, PeftModel.from_pretrained(model, folder).merge_and_unload()


def _probe_hub(api: Any, name: str, timeout: float) -> Exception | None:
    """Ask the Hub whether ``name`` exists, giving up after about ``timeout`` seconds whatever happens."""
    outcome: list[Exception | None] = []

    def probe() -> None:
        try:
            api.model_info(name, timeout=timeout)
            outcome.append(None)
        except Exception as exc:
            outcome.append(exc)

    worker = threading.Thread(target=probe, name="vagent-hub-probe", daemon=True)
    worker.start()
    worker.join(timeout * 1.5 + 0.5)
    return outcome[0] if outcome else TimeoutError(f"no answer within {timeout:g}s")
