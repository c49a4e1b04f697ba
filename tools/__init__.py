"""Video decoding, the per-video index and the tools a model calls (``VideoTools``).

Heavy libraries (torch, open_clip, faiss, rapidocr) load only when first used.
"""

from vagent.tools.clip import ClipEmbedder, get_embedder
from vagent.tools.index import (
    IndexSettings,
    ProgressCallback,
    SearchHit,
    VideoIndex,
    build_count,
    build_index,
    load_or_build,
)
from vagent.tools.ocr import read_text
from vagent.tools.registry import TOOL_NAMES, ToolLimits, VideoTools
from vagent.tools.video import Video, VideoInfo

__all__ = [
    "TOOL_NAMES",
    "ClipEmbedder",
    "IndexSettings",
    "ProgressCallback",
    "SearchHit",
    "ToolLimits",
    "Video",
    "VideoIndex",
    "VideoInfo",
    "VideoTools",
    "build_count",
    "build_index",
    "get_embedder",
    "load_or_build",
    "read_text",
]
