"""Parley's settings without the periodic jobs: a worker started with these runs queued
tasks only, so whatever it delivers came through the task queue."""

from parley.settings import *  # noqa: F403

PARLEY_PERIODIC: dict[str, float] = {}
