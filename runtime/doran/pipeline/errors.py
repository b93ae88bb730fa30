"""Exceptions of the pipeline stages.

DoranError (doran.errors)
 └── PipelineError
      └── PolicyError         decide: the policy file is unreadable or inconsistent
"""

from __future__ import annotations

from doran.errors import DoranError

__all__ = ["PipelineError", "PolicyError"]


class PipelineError(DoranError):
    """Root of the errors a pipeline stage raises on purpose."""


class PolicyError(PipelineError, ValueError):
    """The decide policy cannot be loaded; the message names the file and the problem."""
