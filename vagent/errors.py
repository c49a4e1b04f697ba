"""The few exception types vagent raises to its callers (tools never raise: they return errors)."""

from __future__ import annotations


class VagentError(Exception):
    """Base class: a problem the user can fix, with a message that says how."""


class VideoError(VagentError):
    """A video could not be opened or decoded.

    ``kind`` is one of ``"missing"``, ``"not_video"``, ``"no_video_stream"``, ``"corrupt"``.
    """

    def __init__(self, message: str, *, kind: str, path: str | None = None):
        super().__init__(message)
        self.kind = kind
        self.path = path


class ModelLoadError(VagentError):
    """A policy model could not be loaded (no network, no local copy, wrong id)."""


class ConfigError(VagentError):
    """A config or data file is invalid; the message names the file, line and field."""


class UsageError(VagentError):
    """A command-line value breaks a rule; the message names the option, the rule and the value."""
