"""vagent: video language models that think with tools.

The import package maps the repository's top-level folders as subpackages:
``vagent.tools`` (video, index, tools), ``vagent.agent`` (parser, policies, graph),
``vagent.env`` (environment, tasks, rewards) and ``vagent.training`` (SFT, GRPO).
"""

from vagent.errors import VagentError, VideoError
from vagent.types import Observation, TimedImage

__version__ = "0.1.0"
__all__ = ["Observation", "TimedImage", "VagentError", "VideoError", "__version__"]
