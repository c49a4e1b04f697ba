"""Training: collect trajectories (rejection sampling), SFT, and GRPO in the tool environment.

Each entry point has ``load_config(path, overrides) -> config`` and ``run(config) -> result``
(see docs/training.md). Heavy libraries load inside ``run``.
"""

__all__ = ["collect", "grpo", "grpo_config", "sft", "sft_config"]
