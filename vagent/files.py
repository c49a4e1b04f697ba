"""Writing a file so that a crash never leaves half of it: a temporary file renamed over the path."""

from __future__ import annotations

import os
import tempfile
from collections.abc import Iterable
from pathlib import Path


def write_lines_atomic(path: str | os.PathLike[str], lines: Iterable[str], errors: str = "strict") -> Path:
    """Write ``lines`` (each ending in its newline) to ``path`` as UTF-8, all or nothing.

    The folder is created if needed; the text goes to a temporary file beside ``path``, which is
    renamed over it once complete (readers see the old file or the new one, never a torn one).
    ``errors`` is the encoding error handler (``"backslashreplace"`` writes lone surrogates as
    escapes).
    """
    path = Path(path)
    path.parent.mkdir(parents=True, exist_ok=True)
    fd, temp = tempfile.mkstemp(dir=path.parent, prefix=f".{path.name}.", suffix=".tmp")
    try:
        with os.fdopen(fd, "w", encoding="utf-8", errors=errors) as handle:
            handle.writelines(lines)
        os.replace(temp, path)
    except BaseException:
        Path(temp).unlink(missing_ok=True)
        raise
    return path
