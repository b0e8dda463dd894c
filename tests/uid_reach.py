"""Whether the `uid` level can run here at all, for the tests of that level.

A checkout in a folder other users cannot enter (a `mktemp -d` clone, a checkout under /root)
holds a Python that a worker's own uid cannot reach: there the uid level must refuse clearly and
auto must fall to `landlock`. The uid tests call `uid_level_refused()`: None where the level
runs; else, having checked that the refusal is the clear one, the probe's reason.
"""

from __future__ import annotations

import pytest

from autograder import sandbox
from autograder.sandbox import command, levels


def uid_level_refused() -> str | None:
    problem = levels._probe("uid")
    if problem is None:
        return None
    closed = command.python_out_of_reach()
    assert closed, f"the uid level fails here, not for a private checkout: {problem}"
    assert all(str(folder) in problem for folder in closed), problem
    with pytest.raises(sandbox.SandboxError, match="BN_SANDBOX=landlock") as refused:
        sandbox.secure("uid", [])
    assert str(closed[0]) in str(refused.value)
    return problem
