"""How hard grading may push one submission: one settings object, serialized in one place.

`Settings` travels from the instructor's command line (or Gradescope's defaults) to the child that
grades one submission and into the cache key, always through `to_json`/`from_json`; the sandbox
level chosen once by the batch travels inside it.
"""

from __future__ import annotations

import json
from dataclasses import asdict, dataclass, field


REVIEW_CHOICES = ("keep", "withhold")


@dataclass(frozen=True)
class Limits:
    """Resource limits of one worker process."""

    memory_bytes: int = 4 * 2**30  # address space
    cpu_seconds: int = 600
    file_bytes: int = 64 * 2**20  # largest file it may write
    processes: int = 32  # processes and threads of its uid (levels full and uid)
    scratch_bytes: int = 256 * 2**20  # its tmpfs scratch (levels full and namespaces)


@dataclass(frozen=True)
class Settings:
    """Timeouts, limits, the questions to grade and the sandbox level, for one submission."""

    # Seconds for one call into student code. Honest calls take under 1.2 s at half a CPU, a
    # Python loop over every entry included (docs/sandbox.md, "Limits at every level").
    call_timeout: float = 10.0
    import_timeout: float = 30.0  # seconds for importing the student's package
    timeout: float = 600.0  # wall clock for the whole submission (make grade's children)
    limits: Limits = field(default_factory=Limits)
    questions: tuple[str, ...] | None = None  # grade only these questions (None: all)
    sandbox: str = ""  # the sandbox level; "" means the strongest this machine allows
    # A check no rule could decide (flagged for review) keeps its points until a person has
    # looked ("keep"), or has none until then ("withhold").
    review: str = "keep"

    def __post_init__(self) -> None:
        # Any iterable of names is accepted; an empty one means all questions.
        object.__setattr__(self, "questions", tuple(self.questions) if self.questions else None)
        if self.review not in REVIEW_CHOICES:
            raise ValueError(f"review={self.review!r}: expected one of {', '.join(REVIEW_CHOICES)}")

    def to_json(self) -> str:
        return json.dumps(asdict(self), sort_keys=True)

    @classmethod
    def from_json(cls, text: str) -> "Settings":
        data = json.loads(text)
        return cls(limits=Limits(**data.pop("limits")), **data)
