"""Trainer faces: the same episode seen by each RL stack (TRL, Gymnasium, verl).

Layered between :mod:`vagent.env` (tasks, rewards, the plain environment) and
:mod:`vagent.training`: a face adapts an :class:`~vagent.agent.episode.Episode` to a trainer's
protocol and never changes what an episode is.
"""
