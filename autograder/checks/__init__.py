"""The hidden checks, one module per part of the assignment; importing this registers them all.

(`student_model` and `net_mistakes` register nothing: they serve the checks of `fc_net`.)

`QUESTIONS` maps each auto-graded question name (a gradebook column) to its points and checks.
"""

from autograder.checks import batchnorm, fc_net, layernorm, speed  # noqa: F401  (registration)
from autograder.checks.base import QUESTIONS, Check, CheckFailed, Context, Question

__all__ = ["QUESTIONS", "Check", "CheckFailed", "Context", "Question"]
