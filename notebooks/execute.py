"""Execute every notebook here in place, keeping the outputs (run after changing one).

    python notebooks/execute.py            # all notebooks
    python notebooks/execute.py quickstart # one

The test suite executes them too (tests/test_notebooks.py), without writing.
"""

from __future__ import annotations

import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent


def notebooks() -> list[Path]:
    return sorted(HERE.glob("*.ipynb"))


def execute(path: Path, write: bool = False, timeout: int = 900) -> nbformat.NotebookNode:
    """Run ``path`` top to bottom in a fresh kernel; raises on the first failing cell."""
    book = nbformat.read(path, as_version=4)
    NotebookClient(book, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(HERE)}}).execute()
    if write:
        nbformat.write(book, path)
    return book


if __name__ == "__main__":
    wanted = set(sys.argv[1:])
    for notebook in notebooks():
        if wanted and notebook.stem not in wanted:
            continue
        started = time.perf_counter()
        execute(notebook, write=True)
        print(f"{notebook.name}: {time.perf_counter() - started:.1f}s")
