"""Execute every notebook here in place, keeping the outputs (run after changing one).

    python notebooks/execute.py            # all notebooks
    python notebooks/execute.py quickstart # one

Committed outputs must carry no machine paths and no warnings (:func:`output_problems`): after
writing a notebook this prints what it found and exits 1, so fix the cell (print a file's name,
not its path) rather than the output. The test suite executes the notebooks too
(tests/test_notebooks.py), without writing, and checks the committed outputs.
"""

from __future__ import annotations

import re
import sys
import time
from pathlib import Path

import nbformat
from nbclient import NotebookClient

HERE = Path(__file__).resolve().parent

MACHINE_PATH = re.compile(r"/work/|/root/|/home/|/tmp/|/Users/|/private/var/|/opt/|[A-Za-z]:\\\\|site-packages|\.venv\b|"
                          r"\bvenv/|/usr/(?:local/)?lib/python")
WARNING = re.compile(r"\w*Warning\b|^\s*warn(?:ing)?:", re.I | re.M)
_DATA_URL = re.compile(r"data:[\w/+.-]+;base64,[A-Za-z0-9+/=]+")


def notebooks() -> list[Path]:
    return sorted(HERE.glob("*.ipynb"))


def execute(path: Path, write: bool = False, timeout: int = 900) -> nbformat.NotebookNode:
    """Run ``path`` top to bottom in a fresh kernel; raises on the first failing cell."""
    book = nbformat.read(path, as_version=4)
    NotebookClient(book, timeout=timeout, kernel_name="python3", resources={"metadata": {"path": str(HERE)}}).execute()
    if write:
        nbformat.write(book, path)
    return book


def output_texts(output: nbformat.NotebookNode) -> list[str]:
    """The text an output shows (stream text, text/plain, text/html, tracebacks), images left out."""
    texts = [output.get("text", "")] if output.output_type == "stream" else []
    for mime, value in output.get("data", {}).items():
        if mime.startswith("text/") or mime.endswith("json"):
            texts.append(value if isinstance(value, str) else "".join(value) if isinstance(value, list) else str(value))
    texts += output.get("traceback", [])
    return [_DATA_URL.sub("data:...", text) for text in texts]


def output_problems(book: nbformat.NotebookNode) -> list[str]:
    """Outputs that should not be committed: stderr streams, warnings, errors, machine paths."""
    problems = []
    code = [cell for cell in book.cells if cell.cell_type == "code"]
    for number, cell in enumerate(code, start=1):
        for output in cell.get("outputs", []):
            where = f"code cell {number}"
            if output.output_type == "stream" and output.name == "stderr":
                problems.append(f"{where}: stderr output: {output.text.strip()[:200]!r}")
            if output.output_type == "error":
                problems.append(f"{where}: error {output.ename}")
            for text in output_texts(output):
                if m := MACHINE_PATH.search(text):
                    problems.append(f"{where}: machine path {text[max(0, m.start() - 40):m.end() + 40]!r}")
                if m := WARNING.search(text):
                    problems.append(f"{where}: warning {text[max(0, m.start() - 40):m.end() + 80]!r}")
    return problems


if __name__ == "__main__":
    wanted = set(sys.argv[1:])
    failed = False
    for notebook in notebooks():
        if wanted and notebook.stem not in wanted:
            continue
        started = time.perf_counter()
        book = execute(notebook, write=True)
        print(f"{notebook.name}: {time.perf_counter() - started:.1f}s")
        for problem in output_problems(book):
            failed = True
            print(f"  {problem}")
    sys.exit(1 if failed else 0)
