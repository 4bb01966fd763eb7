"""A per-file budget: parse + chunk of one file is bounded in time and in the text it may produce.

Every transform is linear in its input; the budget is the backstop for what linearity cannot rule
out (a slow machine, a construct no test thought of). Over budget the file is skipped with the
reason in the run report and the refresh goes on with the next file.
"""

from __future__ import annotations

import time
from dataclasses import dataclass, field

from thoth.shared.errors import ThothError

# The worst hostile construct (2 MiB of setext headings: ~30 µs of Python per block) parses and
# chunks in 6 s on a 2-core machine at load 4 and in 30 s at load 8 (tools/bench/hostile.py;
# `nox -s bench -- refresh --parse-only`); a typical page takes milliseconds. 60 s per file leaves
# room for a busy machine while a pathological file can never eat a Lambda invocation's 15 minutes.
DEFAULT_SECONDS = 60.0
# Expanded text (includes, lead lines) may grow a page to this multiple of the file-size limit.
EXPANSION_FACTOR = 4
BOUND_S_PER_MIB = 20.0  # the hostile-corpus test's bound per MiB (measured worst: 3 at load 4, 15 at 8)
CHECK_EVERY = 512  # loop iterations between clock reads in the scanners


class ParseError(ThothError):
    """The file cannot be indexed; the message is the skip reason and says how to fix the file.

    `retry`: the reason can pass without the file changing (retried next run, not remembered);
    `depends`: other files (path → digest) whose change makes the verdict worth checking again.
    """

    retry = False

    def __init__(self, message: str, depends: dict[str, str] | None = None) -> None:
        super().__init__(message)
        self.depends = depends or {}


class BudgetExceeded(ParseError):
    """Parsing one file took longer than its budget; skipped this run and retried on the next."""

    retry = True


class NotPublished(ParseError):
    """The site publishes no page for the file (draft, headless, future or expired); its `retry`
    says whether time alone can change that (a future publish date)."""

    def __init__(self, message: str, retry: bool, depends: dict[str, str] | None = None) -> None:
        super().__init__(message, depends)
        self.retry = retry


@dataclass
class Budget:
    """Wall-clock deadline and output cap for one file; `check` raises BudgetExceeded past either."""

    seconds: float = DEFAULT_SECONDS
    max_chars: int = 8 * 1024 * 1024
    started: float = field(default_factory=time.monotonic)
    ticks: int = 0
    includes: int = 0  # include expansions so far (capped per page in transform)

    def check(self) -> None:
        if time.monotonic() - self.started > self.seconds:
            raise BudgetExceeded(
                f"parsing took over the {self.seconds:.0f}-second budget of one file and was stopped; "
                "split the file or simplify its markup (retried next run)"
            )

    def tick(self) -> None:
        """Cheap per-iteration call: reads the clock every CHECK_EVERY ticks."""
        self.ticks += 1
        if self.ticks % CHECK_EVERY == 0:
            self.check()

    def grow(self, chars: int) -> None:
        if chars > self.max_chars:
            raise ParseError(
                f"the page expands to over {self.max_chars} characters (includes or repeated content); "
                "include fewer or smaller files"
            )


def unlimited() -> Budget:
    return Budget(seconds=float("inf"), max_chars=1 << 62)
