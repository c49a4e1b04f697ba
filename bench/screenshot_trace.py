"""Render a trace page and screenshot it in headless Chromium, to look at it as a browser shows it.

    apt-get install chromium                                  # Debian; not part of the CI setup
    python bench/screenshot_trace.py                          # scripted run on the bikes clip -> trace.png
    python bench/screenshot_trace.py --trace run.jsonl --out run.png --size 1400,2400
    python bench/screenshot_trace.py --question 'What is shown at the end?' --notebook

It writes the page beside the PNG (``.html``), prints both paths and fails when the screenshot is
blank (one colour). ``--notebook`` screenshots the inline notebook view (``Trace._repr_html_``)
instead of the page. tests/test_trace.py runs :func:`screenshot` on a small trace when Chromium is
installed, and skips otherwise.
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

BROWSERS = ("chromium", "chromium-browser", "google-chrome", "chrome")


def find_chromium() -> str | None:
    """The first Chromium-like browser on PATH (or ``$CHROMIUM``), else None."""
    if os.environ.get("CHROMIUM"):
        return os.environ["CHROMIUM"]
    return next((path for name in BROWSERS if (path := shutil.which(name))), None)


def screenshot(page: Path, png: Path, size: tuple[int, int] = (1400, 2000), browser: str | None = None) -> Path:
    """Screenshot ``page`` (an HTML file) at ``size`` (width, height) pixels into ``png``."""
    browser = browser or find_chromium()
    if browser is None:
        raise RuntimeError("no Chromium found: apt-get install chromium (or set CHROMIUM=/path/to/chrome)")
    png = Path(png).resolve()
    png.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as profile:  # a fresh profile: nothing from the user's browser
        command = [browser, "--headless", "--no-sandbox", "--disable-gpu", "--hide-scrollbars", "--no-first-run",
                   f"--user-data-dir={profile}", f"--window-size={size[0]},{size[1]}", f"--screenshot={png}",
                   Path(page).resolve().as_uri()]
        done = subprocess.run(command, capture_output=True, text=True, timeout=120)
    if done.returncode != 0 or not png.is_file():
        raise RuntimeError(f"{browser} failed ({done.returncode}): {done.stderr[-2000:]}")
    return png


def is_blank(png: Path) -> bool:
    from PIL import Image

    with Image.open(png) as image:
        low, high = zip(*image.convert("RGB").getextrema())
    return low == high


def scripted_trace(question: str, clip: str = "bikes"):
    """Run the scripted policy on a packaged example clip (offline: visual search off) as ``vagent ask`` does."""
    from vagent.agent.episode import Budget, Episode
    from vagent.agent.graph import run_episode
    from vagent.agent.scripted import ScriptedPolicy
    from vagent.agent.trace import Trace
    from vagent.tools.examples import example_video
    from vagent.tools.index import IndexSettings
    from vagent.tools.registry import VideoTools

    video = example_video(clip)
    with tempfile.TemporaryDirectory() as cache:
        tools = VideoTools.open(video, IndexSettings(clip_pretrained=None, cache_dir=Path(cache)))
        try:
            policy = ScriptedPolicy()
            episode = Episode.start(tools, question, budget=Budget(max_turns=6), include_schemas=policy.include_schemas)
            state = run_episode(episode, policy)
        finally:
            tools.close()
    return Trace([state], answer=state.answer, meta={"video": Path(video).name, "question": question, "model": policy.name})


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--trace", type=Path, help="a trace JSONL to render (default: a scripted run on a packaged clip)")
    parser.add_argument("--question", default="How many scenes are in this video?")
    parser.add_argument("--clip", default="bikes", help="packaged example clip for the scripted run")
    parser.add_argument("--out", type=Path, default=Path("trace.png"))
    parser.add_argument("--size", default="1400,2000", help="window width,height in pixels")
    parser.add_argument("--notebook", action="store_true", help="the inline notebook view instead of the page")
    args = parser.parse_args(argv)

    from vagent.agent.trace import Trace

    trace = Trace.load(args.trace) if args.trace else scripted_trace(args.question, args.clip)
    page = args.out.with_suffix(".html")
    if args.notebook:
        page.write_text(f"<!doctype html><meta charset='utf-8'><body>{trace._repr_html_()}</body>", encoding="utf-8")
    else:
        trace.render_html(page)
    width, height = (int(v) for v in args.size.split(","))
    png = screenshot(page, args.out, (width, height))
    print(f"page: {page}\nscreenshot: {png}")
    if is_blank(png):
        print("the screenshot is blank", file=sys.stderr)
        return 1
    return 0


if __name__ == "__main__":
    sys.exit(main())
