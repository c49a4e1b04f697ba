"""Benchmark annotation files → vagent task JSONL (see docs/tasks.md, "Converters").

Each ``convert_<name>(annotation_path, video_dir, out_path, ...)`` reads a local annotation
file record by record. A record with a problem that a documented rule repairs
(:data:`~vagent.env.converters.records.REPAIR_RULES`: reversed spans, slightly negative times, spans past
a known end, duplicate options) is repaired and counted; any other problem skips the record,
counted with its place and reason. The output is written atomically at the end, and only when
at least one task was converted. Problems with the file itself (unreadable, not JSON, missing
CSV columns) and, with ``strict=True``, the first problem of any record raise
:class:`~vagent.errors.ConfigError` naming the file, the line (or record) and the field; nothing
is written then. Each converter returns a :class:`~vagent.env.converters.records.Conversion`: the list of
tasks written, with the counts. ``CONVERTERS`` maps the CLI names to the functions; each benchmark is one module of this package.
"""

from __future__ import annotations

from collections.abc import Callable

from vagent.env.converters.charades_sta import convert_charades_sta
from vagent.env.converters.mvbench import convert_mvbench
from vagent.env.converters.nextgqa import convert_nextgqa
from vagent.env.converters.records import REPAIR_RULES, Conversion
from vagent.env.converters.videomme import convert_videomme

__all__ = [
    "CONVERTERS",
    "REPAIR_RULES",
    "Conversion",
    "convert_charades_sta",
    "convert_mvbench",
    "convert_nextgqa",
    "convert_videomme",
]

CONVERTERS: dict[str, Callable[..., Conversion]] = {
    "videomme": convert_videomme,
    "mvbench": convert_mvbench,
    "charades_sta": convert_charades_sta,
    "nextgqa": convert_nextgqa,
}
"""Converter by CLI name: ``vagent data convert <name> ANNOTATIONS --video-dir DIR --out OUT``."""
