"""Regenerate docs/cli.md, the CLI reference, from the code (run after changing a command or option).

    python docs/generate_cli_docs.py           # rewrite docs/cli.md
    python docs/generate_cli_docs.py --check   # exit 1 when docs/cli.md is stale

It runs typer's own generator (``typer vagent.cli utils docs --name vagent``) and turns the HTML
entities typer writes into help text (``&#x27;``, ``&gt;``, ...) back into characters, so the file
reads the same raw and rendered. A ``<`` that would open an HTML tag in Markdown (``<video>``) is
written ``\\<``; text inside code spans and console blocks is left as typer wrote it.
tests/test_cli.py compares docs/cli.md with this script's output.
"""

from __future__ import annotations

import html
import re
import shutil
import subprocess
import sys
from pathlib import Path

OUTPUT = Path(__file__).resolve().parent / "cli.md"
_TAG_START = re.compile(r"<(?=[A-Za-z/!?])")


def unescape(markdown: str) -> str:
    """HTML entities outside code back to characters.

    >>> unescape("or &#x27;random&#x27; (&gt;= 0) `--x &lt;y&gt;` to vagent-traces/&lt;video&gt;.jsonl")
    "or 'random' (>= 0) `--x &lt;y&gt;` to vagent-traces/\\\\<video>.jsonl"
    """
    out, fenced = [], False
    for line in markdown.split("\n"):
        if line.lstrip().startswith("```"):
            fenced = not fenced
            out.append(line)
            continue
        if fenced:
            out.append(line)
            continue
        parts = line.split("`")  # odd-numbered parts are inside code spans
        for i in range(0, len(parts), 2):
            parts[i] = _TAG_START.sub(r"\\<", html.unescape(parts[i]))
        out.append("`".join(parts))
    return "\n".join(out)


def typer_docs() -> str:
    """What ``typer vagent.cli utils docs --name vagent`` prints."""
    typer_cli = shutil.which("typer") or str(Path(sys.executable).parent / "typer")
    done = subprocess.run([typer_cli, "vagent.cli", "utils", "docs", "--name", "vagent"],
                          capture_output=True, text=True, timeout=300)
    if done.returncode != 0:
        raise RuntimeError(f"typer docs failed:\n{done.stderr}")
    return done.stdout


def generate() -> str:
    return unescape(typer_docs()).strip() + "\n"


if __name__ == "__main__":
    text = generate()
    if "--check" in sys.argv[1:]:
        stale = OUTPUT.read_text(encoding="utf-8") != text
        print(f"{OUTPUT.name} is {'stale: run python docs/generate_cli_docs.py' if stale else 'current'}")
        sys.exit(1 if stale else 0)
    OUTPUT.write_text(text, encoding="utf-8")
    print(f"wrote {OUTPUT}")
