"""The project's exceptions, in the lowest package that raises them.

Every layer (features, splink_models, jobs) raises these, so they live at
the bottom and nothing imports upward to reach them. A job's entry point
prints a ``ResolutionError`` as one message, without a traceback.
"""

from __future__ import annotations


class ResolutionError(Exception):
    """Base of every error this project raises on purpose."""


class ConfigError(ResolutionError):
    """The configuration is incomplete or inconsistent."""


class SchemaMismatchError(ResolutionError):
    """A table does not match its contract."""
