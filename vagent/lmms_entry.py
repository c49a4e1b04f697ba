"""The ``lmms_eval.models`` entry point (``lmms-eval --model vagent``), apart from :mod:`vagent.lmms`.

lmms-eval builds its model registry, entry points included, the first time ``lmms_eval.models`` is
imported. When that first import comes from ``import vagent.lmms`` itself, the entry point is read
while ``vagent.lmms`` is half imported; kept here, it needs nothing of that module but its name.
"""

from __future__ import annotations

from typing import Any


def manifest() -> Any:
    """``--model vagent``: the manifest naming :class:`vagent.lmms.VagentLMM`."""
    from lmms_eval.models.registry_v2 import ModelManifest

    return ModelManifest(model_id="vagent", chat_class_path="vagent.lmms.VagentLMM")
