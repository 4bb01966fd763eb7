"""The parse pass of a run: changed files → chunks, each file within its budget, the run within its deadline.

Before each file the pass checks the run's remaining time, as the embedding pass does between
batches: with less than the reserve and one file's budget left it stops (DeadlineNear), so the run
ends `partial` with its report and metrics instead of being killed mid-parse by the time limit.

A file that runs over its per-file budget is skipped, named in the report (FilesSkipped counts it)
and struck in the refresh state at once, so the strike outlives a run that ends early. Its first
strike is retried by the next run (the machine may only have been busy); at the second strike of
the same content it is skipped, and remembered as skipped, until the file changes.
"""

from __future__ import annotations

from collections.abc import Collection

from thoth.refresh_service.chunk import chunk_document, page_url
from thoth.refresh_service.markup import Budget, BudgetExceeded, ParseError, parse_document, too_large
from thoth.refresh_service.markup.budget import EXPANSION_FACTOR
from thoth.refresh_service.markup.sitefiles import SiteSnapshot
from thoth.refresh_service.report import Progress, RunReport
from thoth.refresh_service.runs import DeadlineNear, RunOptions, Services
from thoth.refresh_service.sources.definitions import SourceConfig
from thoth.refresh_service.sources.snapshot import Skipped
from thoth.refresh_service.state import FileState, SourceState, Strike
from thoth.shared.index import Chunk
from thoth.shared.logging import redact

STRIKES_TO_SKIP = 2


class Strikes:
    """Files that ran over their parse budget: with which content, how many times (the refresh state)."""

    def __init__(self, sstate: SourceState) -> None:
        self.sstate = sstate
        self.recorded: dict[str, Strike] = sstate.strikes()

    def count(self, path: str, digest: str) -> int:
        """Strikes of `path` with this content (a changed file starts afresh)."""
        strike = self.recorded.get(path)
        return strike.count if strike is not None and strike.digest == digest else 0

    def add(self, path: str, digest: str, reason: str) -> int:
        strike = Strike(digest, self.count(path, digest) + 1, reason)
        self.sstate.put_strike(path, strike)
        self.recorded[path] = strike
        return strike.count

    def clear(self, path: str) -> None:
        if self.recorded.pop(path, None) is not None:
            self.sstate.delete_strike(path)

    def forget_missing(self, present: Collection[str]) -> None:
        """Drop the strikes of files that are gone from the source."""
        for path in [p for p in self.recorded if p not in present]:
            self.clear(path)


def _check_deadline(options: RunOptions, file_budget_s: float) -> None:
    if options.remaining_s is not None and options.remaining_s() < options.reserve_s + file_budget_s:
        raise DeadlineNear


def chunk_files(
    config: SourceConfig,
    services: Services,
    snapshot: SiteSnapshot,
    paths: list[str],
    report: RunReport,
    options: RunOptions,
    strikes: Strikes,
) -> tuple[dict[str, list[Chunk]], dict[str, FileState]]:
    """Parse and chunk `paths`; failures become skips (deterministic ones are remembered).

    DeadlineNear before a file when the run could not finish it and still publish in time.
    """
    max_bytes = services.refresh.max_file_bytes
    out: dict[str, list[Chunk]] = {}
    states: dict[str, FileState] = {}
    total = len(paths)
    for i, path in enumerate(paths, 1):
        _check_deadline(options, services.parse_budget_s)
        entry = snapshot.files[path]
        struck = strikes.count(path, entry.digest)
        if struck >= STRIKES_TO_SKIP:
            reason = (
                f"over its {services.parse_budget_s:.0f}-second parse budget {struck} times; skipped until "
                "the file changes: split it or simplify its markup"
            )
            report.skip(Skipped(path, reason))
            states[path] = FileState(entry.digest, [], reason)
            continue
        try:
            if entry.size > max_bytes:
                raise ParseError(too_large(entry.size, max_bytes))
            # One per file: time and size bounded; over budget the run goes on without the file.
            budget = Budget(services.parse_budget_s, EXPANSION_FACTOR * max_bytes)
            doc = parse_document(path, snapshot.read(path), max_bytes, snapshot.site, budget)
            chunks = chunk_document(
                doc,
                source=config.name,
                url=page_url(path, config.base_url, config.strip_prefix, snapshot.site, doc.meta),
                commit=snapshot.revision,
                last_modified=entry.last_modified,
                settings=services.chunking,
                budget=budget,
            )
        except BudgetExceeded as exc:
            count = strikes.add(path, entry.digest, str(exc))
            if count >= STRIKES_TO_SKIP:
                reason = f"{exc}; over budget {count} times: skipped until the file changes"
                states[path] = FileState(entry.digest, [], reason, exc.depends)
            else:
                reason = f"{exc}; retried next run (a second time skips it until the file changes)"
            report.skip(Skipped(path, reason))
            continue
        except ParseError as exc:
            report.skip(Skipped(path, str(exc)))
            # Published later (a future date): not remembered, retried; otherwise until it changes.
            if not exc.retry:
                states[path] = FileState(entry.digest, [], str(exc), exc.depends)
            continue
        except Exception as exc:
            # Not remembered in the state, so the next run tries this file again.
            report.skip(
                Skipped(path, redact(f"parse failed ({type(exc).__name__}: {exc}); retried next run"))
            )
            continue
        strikes.clear(path)
        out[path] = chunks
        states[path] = FileState(entry.digest, [c.id for c in chunks], None, doc.includes)
        for warning in doc.warnings:
            report.warn(path, warning)
        if options.progress and (i % 200 == 0 or i == total):
            options.progress(Progress("parse", i, total, sum(map(len, out.values())), 0, 0, 0.0, None))
    return out, states
