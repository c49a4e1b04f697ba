"""CLIP image/text embeddings with open_clip, loaded without ever waiting on the network.

``pretrained`` is an open_clip tag (``"openai"``), a local checkpoint path, or ``None``
(random weights: only with ``allow_random=True``, for tests and benchmarks). A tag whose
weights are not in the local Hugging Face cache is downloaded only if the Hub answers within
a few seconds; otherwise ``ModelLoadError`` says at once how to fix it.
"""

from __future__ import annotations

import functools
import logging
import os
import socket
from collections.abc import Sequence
from pathlib import Path
from urllib.parse import urlparse

import numpy as np
from PIL import Image

from vagent.errors import ModelLoadError

log = logging.getLogger(__name__)

RANDOM_SEED = 0
"""Random CLIP weights are seeded, so every process builds the same random model."""


@functools.lru_cache(maxsize=8)
def _reachable(host: str, timeout: float = 3.0) -> bool:
    if os.environ.get("HF_HUB_OFFLINE", "").lower() in ("1", "true", "yes", "on"):
        return False
    try:
        socket.create_connection((host, 443), timeout=timeout).close()
        return True
    except OSError:
        return False


def _cached_weights(cfg: dict) -> str | None:
    """Path of already-downloaded weights for an open_clip pretrained config, else None."""
    if cfg.get("file"):
        return cfg["file"]
    hub = cfg.get("hf_hub", "")
    if hub:
        from huggingface_hub import try_to_load_from_cache

        model_id, filename = os.path.split(hub)
        names = ["open_clip_model.safetensors", filename or "open_clip_pytorch_model.bin"]
        if filename.endswith(".bin"):
            names.insert(0, filename[:-4] + ".safetensors")
        for name in names:
            found = try_to_load_from_cache(model_id, name)
            if isinstance(found, str):
                return found
    url = cfg.get("url", "")
    if url:
        local = Path("~/.cache/clip").expanduser() / os.path.basename(urlparse(url).path)
        if local.is_file():
            return str(local)
    return None


def weights_available(model_name: str, pretrained: str | None, allow_random: bool = False) -> bool:
    """Whether ``ClipEmbedder(model_name, pretrained)`` can load without the network."""
    if pretrained is None:
        return allow_random
    if Path(pretrained).expanduser().is_file():
        return True
    from open_clip.pretrained import get_pretrained_cfg

    return _cached_weights(get_pretrained_cfg(model_name, pretrained) or {}) is not None


def _how_to_fix(model_name: str, pretrained: str) -> str:
    return (f"download them once on a machine with network (e.g. python -c \"import open_clip; "
            f"open_clip.create_model_and_transforms('{model_name}', pretrained='{pretrained}')\"), "
            f"or pass a local checkpoint path as the pretrained weights")


class ClipEmbedder:
    """L2-normalised CLIP embeddings of images and texts (float32, CPU by default).

    Args:
        model_name: open_clip model config, e.g. ``"ViT-B-32"`` or ``"ViT-S-32"``.
        pretrained: open_clip tag, local checkpoint path, or None for random weights.
        allow_random: must be True for ``pretrained=None``.
        device: torch device.
        batch_size: images per forward pass.

    Raises:
        ModelLoadError: unknown tag, weights not available offline, or random weights
            not explicitly allowed. The message says how to fix it.
    """

    def __init__(self, model_name: str = "ViT-B-32", pretrained: str | None = "openai", *,
                 allow_random: bool = False, device: str = "cpu", batch_size: int = 32):
        import open_clip
        import torch

        self.model_name, self.pretrained, self.device, self.batch_size = model_name, pretrained, device, batch_size
        self.is_random = pretrained is None
        if model_name not in open_clip.list_models():
            raise ModelLoadError(f"unknown open_clip model {model_name!r}; e.g. ViT-B-32, ViT-S-32")
        kwargs: dict = {}
        if pretrained is None:
            if not allow_random:
                raise ModelLoadError(f"CLIP {model_name} with pretrained=None has random weights: its search "
                                     f"results are meaningless. Pass allow_random=True to accept that "
                                     f"(tests, benchmarks), or give a pretrained tag or checkpoint path.")
        elif Path(pretrained).expanduser().is_file():
            kwargs["pretrained"] = str(Path(pretrained).expanduser())
        else:
            from open_clip.pretrained import get_pretrained_cfg

            cfg = get_pretrained_cfg(model_name, pretrained)
            if not cfg:
                tags = ", ".join(open_clip.list_pretrained_tags_by_model(model_name)) or "none"
                raise ModelLoadError(f"no weights {pretrained!r} for CLIP {model_name}: not a file, nor one of "
                                     f"the tags {tags}")
            local = _cached_weights(cfg)
            if local:  # load the cached file directly: no network call at all
                kwargs.update(pretrained=local, force_quick_gelu=bool(cfg.get("quick_gelu")),
                              image_mean=cfg.get("mean"), image_std=cfg.get("std"),
                              image_interpolation=cfg.get("interpolation"),
                              image_resize_mode=cfg.get("resize_mode"))
            else:
                endpoint = os.environ.get("HF_ENDPOINT", "https://huggingface.co") if cfg.get("hf_hub") \
                    else cfg.get("url", "")
                if not _reachable(urlparse(endpoint).hostname or "huggingface.co"):
                    raise ModelLoadError(f"CLIP weights {model_name}/{pretrained} are not on this machine and "
                                         f"the network is unreachable: {_how_to_fix(model_name, pretrained)}")
                kwargs["pretrained"] = pretrained
        try:
            with torch.random.fork_rng(devices=[]):
                torch.manual_seed(RANDOM_SEED)
                model, _, preprocess = open_clip.create_model_and_transforms(model_name, device=device, **kwargs)
        except Exception as err:
            raise ModelLoadError(f"could not load CLIP {model_name}/{pretrained}: {err}; "
                                 f"{_how_to_fix(model_name, str(pretrained))}") from err
        self.model = model.eval()
        self.preprocess = preprocess
        self.tokenizer = open_clip.get_tokenizer(model_name)
        self.dim = int(model.text_projection.shape[1]) if getattr(model, "text_projection", None) is not None \
            else int(self.embed_text("x").shape[1])

    def __repr__(self) -> str:
        return f"ClipEmbedder({self.model_name!r}, {self.pretrained!r}, dim={self.dim})"

    @staticmethod
    def _normalise(x: np.ndarray) -> np.ndarray:
        x = np.asarray(x, dtype=np.float32)
        return x / np.maximum(np.linalg.norm(x, axis=1, keepdims=True), 1e-12)

    def embed_images(self, images: Sequence[Image.Image]) -> np.ndarray:
        """``[N, dim]`` float32 unit vectors for N PIL images (any size; batched)."""
        import torch

        chunks = []
        for i in range(0, len(images), self.batch_size):
            batch = torch.stack([self.preprocess(im.convert("RGB")) for im in images[i : i + self.batch_size]])
            with torch.inference_mode():
                chunks.append(self.model.encode_image(batch.to(self.device)).float().cpu().numpy())
        if not chunks:
            return np.zeros((0, self.dim), np.float32)
        return self._normalise(np.concatenate(chunks))

    def embed_text(self, text: str | Sequence[str]) -> np.ndarray:
        """``[N, dim]`` float32 unit vectors (N = 1 for a single string)."""
        import torch

        texts = [text] if isinstance(text, str) else list(text)
        with torch.inference_mode():
            out = self.model.encode_text(self.tokenizer(texts).to(self.device)).float().cpu().numpy()
        return self._normalise(out)


def clip_device() -> str:
    """Where CLIP runs: ``$VAGENT_CLIP_DEVICE`` when set (``cpu``, ``cuda``, ``cuda:1``, ``mps``), else
    ``cuda`` when a GPU is visible, else ``cpu``. Embeddings come back as float32 on the CPU either way."""
    chosen = os.environ.get("VAGENT_CLIP_DEVICE", "").strip()
    if chosen:
        return chosen
    import torch

    return "cuda" if torch.cuda.is_available() else "cpu"


@functools.lru_cache(maxsize=4)
def _shared_embedder(model_name: str, pretrained: str | None, allow_random: bool, device: str) -> ClipEmbedder:
    return ClipEmbedder(model_name, pretrained, allow_random=allow_random, device=device)


def get_embedder(model_name: str, pretrained: str | None, allow_random: bool = False) -> ClipEmbedder:
    """One shared ``ClipEmbedder`` per (model, weights, device) in this process, on :func:`clip_device`."""
    return _shared_embedder(model_name, pretrained, allow_random, clip_device())
