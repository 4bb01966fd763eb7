"""One refresh of one source: snapshot → diff → parse/chunk changed files → embed new chunks → publish."""

from __future__ import annotations

import secrets
import tempfile
import time
from datetime import UTC, datetime
from pathlib import Path
from typing import Any, NamedTuple

import numpy as np

from thoth.refresh_service import pages
from thoth.refresh_service.changed_at import stamp_changed_at
from thoth.refresh_service.changes import Changes, detect_changes, reuse_unchanged
from thoth.refresh_service.embed import EmbeddingCache
from thoth.refresh_service.embed_pass import chunk_vectors, embed_chunks, embed_pages
from thoth.refresh_service.history_store import build_record, expire_history, write_history
from thoth.refresh_service.lock import SourceLock
from thoth.refresh_service.markup.sitefiles import SiteSnapshot, widened, with_site
from thoth.refresh_service.parse_pass import Strikes, chunk_files
from thoth.refresh_service.publish import collect_garbage, new_version, publish
from thoth.refresh_service.report import RunReport
from thoth.refresh_service.runs import MODES, DeadlineNear, RunOptions, Services, now_iso
from thoth.refresh_service.sources.definitions import SourceConfig, redact_url
from thoth.refresh_service.sources.git import git_snapshot
from thoth.refresh_service.sources.snapshot import Snapshot, dir_snapshot, s3_snapshot
from thoth.refresh_service.state import FileState, SourceState
from thoth.shared import metrics
from thoth.shared.errors import ThothError
from thoth.shared.history import version_time
from thoth.shared.index import FORMAT_VERSION, Chunk, download_version, load_version
from thoth.shared.live import LivePointer, age_s, read_live
from thoth.shared.logging import get_logger, redact
from thoth.shared.secrets import Secrets

log = get_logger(__name__)


class Start(NamedTuple):
    """Where a run starts from: the live version, the recorded state, and whether it can be incremental."""

    live: LivePointer | None
    meta: dict[str, Any]
    checkpoint: dict[str, Any] | None
    mode: str  # "full" when resuming a full run's checkpoint
    incremental: bool


def take_snapshot(
    config: SourceConfig, services: Services, ref: str | None, since: str | None
) -> SiteSnapshot:
    """The source's pages (git: at `ref`, diffed against `since` when known) and its Hugo site."""
    snapshot = _snapshot(widened(config), services, ref, since)
    return with_site(snapshot, config, services.refresh.max_file_bytes)


def _snapshot(config: SourceConfig, services: Services, ref: str | None, since: str | None) -> Snapshot:
    if config.kind == "dir":
        return dir_snapshot(config)
    if config.kind == "s3":
        return s3_snapshot(config, services.settings)
    token = None
    if config.token_secret is not None:
        # Only a source that names its token gets one (sources/definitions.py admits that on https:// git
        # locations only); no remote is handed a default token.
        token = (services.secrets or Secrets(services.settings)).get(config.token_secret)
    return git_snapshot(config, services.settings.cache_dir, token, ref, since, services.refresh.history_days)


def chunker_signature(services: Services, snapshot: SiteSnapshot) -> str:
    """Chunking settings and Hugo settings: a change of either rebuilds every page."""
    site = snapshot.site
    return services.chunking.signature() + (f"|{site.signature()}" if site is not None else "")


class Refresher:
    """Runs refreshes of one source under its lock and records every run."""

    def __init__(self, config: SourceConfig, services: Services) -> None:
        self.config = config
        self.services = services
        self.sstate = SourceState(services.state, config.name)

    # -- entry points -------------------------------------------------------------------------

    def run(self, options: RunOptions) -> RunReport:
        """Refresh under the source lock; never raises for source, parse or publish failures."""
        started = time.monotonic()
        report = RunReport(
            self.config.name, secrets.token_hex(6), now_iso(), options.mode, kind=self.config.kind
        )
        lock = SourceLock(self.services.state, self.config.name, report.run_id)
        try:
            if options.mode not in MODES:
                raise ThothError(f"mode {options.mode!r} is invalid; use 'incremental' or 'full'")
            if not lock.acquire():
                report.status = "locked"
                holder = lock.held_by
                report.error = (
                    holder.describe(self.config.name, time.time())
                    if holder is not None
                    else f"another refresh held the lock of {self.config.name!r} a moment ago; retry now"
                )
            else:
                self._run_locked(options, report, lock)
        except Exception as exc:
            report.status = "error"
            report.error = redact(str(exc) if isinstance(exc, ThothError) else f"{type(exc).__name__}: {exc}")
            log.error("refresh failed", extra={"source": self.config.name, "error": report.error})
        finally:
            try:
                lock.release()
            except ThothError as exc:
                log.warning("could not release the lock", extra={"error": str(exc)})
            report.finished_at = now_iso()
            report.duration_s = round(time.monotonic() - started, 3)
            try:
                self.sstate.record_run(report.to_dict())
            except ThothError as exc:
                log.warning("could not record the run", extra={"error": str(exc)})
            self._record_metrics(report)
        return report

    def _record_metrics(self, report: RunReport) -> None:
        """One EMF record per run, with the live version's age after it (the freshness alarm's data)."""
        values = report.metric_values()
        try:
            live = read_live(self.services.state, self.config.name)
        except ThothError:
            live = None
        age = age_s(live.created_at) if live else None
        if age is not None:
            values["IndexAgeSeconds"] = age
        context = {"run_id": report.run_id, "status": report.status, "version": report.index_version}
        metrics.emit({"Source": self.config.name}, values, context)

    # -- the pipeline ---------------------------------------------------------------------------

    def _run_locked(self, options: RunOptions, report: RunReport, lock: SourceLock) -> None:
        start = self._start(options, report)
        since = start.meta.get("commit") if start.incremental else None
        snapshot = take_snapshot(self.config, self.services, options.ref, since)
        try:
            self._build(snapshot, start, options, report, lock)
        finally:
            snapshot.close()

    def _start(self, options: RunOptions, report: RunReport) -> Start:
        """The live version and the recorded state; incremental only when they describe each other."""
        meta = self.sstate.meta()
        checkpoint = self.sstate.checkpoint()
        mode = options.mode
        if checkpoint:
            report.resumed = True
            if checkpoint.get("mode") == "full":
                mode = "full"
        live = read_live(self.services.state, self.config.name)
        report.previous_version = live.version if live else None
        report.previous_commit = meta.get("commit")
        # The state describes the live version only if both were written by this index format.
        consistent = (
            live is not None
            and meta.get("version") == live.version
            and live.fingerprint == self.services.embedder.info.fingerprint
            and meta.get("format") == FORMAT_VERSION
        )
        return Start(live, meta, checkpoint, mode, mode == "incremental" and consistent)

    def _build(
        self, snapshot: SiteSnapshot, start: Start, options: RunOptions, report: RunReport, lock: SourceLock
    ) -> None:
        services, name, info = self.services, self.config.name, self.services.embedder.info
        live, meta = start.live, start.meta
        incremental = start.incremental and meta.get("chunker") == chunker_signature(services, snapshot)
        report.commit = snapshot.revision
        report.files_total = len(snapshot.files)
        for item in snapshot.skipped:
            report.skip(item)
        if snapshot.site is not None:
            for warning in snapshot.site.warnings:
                report.warn("", warning)
        if snapshot.not_pages:
            report.extra["not_pages"] = snapshot.not_pages_report()
        known = self.sstate.files() if incremental else {}
        changes = detect_changes(snapshot.files, known, snapshot.site, snapshot.renames, incremental)
        if changes.for_includes:
            report.extra["pages_reindexed_for_includes"] = changes.for_includes
        report.change_detection = changes.detection
        report.files_renamed = len(changes.renames)
        report.files_added = len(changes.added) - len(changes.renames)
        report.files_modified = len(changes.modified)
        report.files_deleted = len(changes.deleted) - len(changes.renames)
        if live is not None and incremental and not changes.any:
            self._unchanged(live, meta, snapshot, report, start.checkpoint is not None)
            return
        cache = EmbeddingCache(services.store, info, self.config.name)
        cache.load()
        previous = (
            self._load_previous(live, cache)
            if live is not None and live.fingerprint == info.fingerprint
            else {}
        )
        todo = changes.added + changes.modified
        reused, rebuild = reuse_unchanged(snapshot.files, todo, known, previous, snapshot.revision)
        todo += rebuild  # the state and the live version disagree about these: rebuild them
        report.files_unchanged = len(reused)
        strikes, stage = Strikes(self.sstate), "parse"
        try:
            fresh, states = chunk_files(
                self.config, services, snapshot, sorted(todo), report, options, strikes
            )
            chunks = [c for p in sorted(snapshot.files) for c in (fresh.get(p) or reused.get(p) or [])]
            stage = "embed"
            embed_chunks(chunks, cache, services.embedder, options, report, lock)
        except DeadlineNear:
            # Parse strikes and embedded vectors are already stored; the next run picks up from them.
            self.sstate.set_checkpoint(
                {"run_id": report.run_id, "mode": start.mode, "commit": snapshot.revision, "at": now_iso()}
            )
            report.status = "partial"
            report.index_version = report.previous_version
            report.extra["stopped_in"] = stage
            return
        vectors = chunk_vectors(chunks, cache, info.dimension)
        page_vectors = embed_pages(chunks, cache, services.embedder, report)
        version = new_version()
        published = version_time(version) or datetime.now(UTC)
        chunks = stamp_changed_at(
            chunks,
            previous,
            changes.renames,
            published=published.isoformat(timespec="seconds"),
            git=self.config.kind == "git",
        )
        pointer = publish(
            services.store,
            services.state,
            name,
            chunks,
            vectors,
            model=info,
            commit=snapshot.revision,
            expected=live,
            page_vectors=page_vectors,
            version=version,
            extra={
                "kind": self.config.kind,
                "location": redact_url(self.config.location),
                "files": len(snapshot.files),
            },
        )
        report.index_version = pointer.version
        report.chunks_total = len(chunks)
        self._save_state(snapshot, states, known, incremental, pointer)
        strikes.forget_missing(snapshot.files)
        cache.drop_loaded()
        if live is not None and previous:  # nothing to compare with (first version, other model): no record
            self._record_history(pointer.version, report, changes, previous, chunks, snapshot.commits)
        report.versions_removed = collect_garbage(
            services.store, name, pointer.version, services.refresh.keep_versions
        )
        report.status = "ok"

    def _record_history(
        self,
        version: str,
        report: RunReport,
        changes: Changes,
        previous: dict[str, list[Chunk]],
        chunks: list[Chunk],
        commits: dict[str, list[dict[str, str]]] | None,
    ) -> None:
        """Write the version's change record and expire old ones; never fails the run."""
        store, name = self.services.store, self.config.name
        current: dict[str, list[Chunk]] = {}
        for chunk in chunks:
            current.setdefault(chunk.path, []).append(chunk)
        if changes.detection == "full":  # every file counts as added: compare with the previous version
            both = sorted(set(previous) & set(current))
            changes = Changes(
                sorted(set(current) - set(previous)),
                both,
                sorted(set(previous) - set(current)),
                {},
                0,
                "full",
            )
        try:
            record = build_record(name, version, report, changes, previous, current, commits)
        except Exception as exc:  # a bug in the record must not cost a published version
            log.warning(
                "could not compute the change record", extra={"error": f"{type(exc).__name__}: {exc}"}
            )
            report.warn("", "change record not computed; recent_changes will miss this version")
        else:
            write_history(store, record, report)
        expire_history(store, name, self.services.refresh.history_days, report)

    def _unchanged(
        self,
        live: LivePointer,
        meta: dict[str, object],
        snapshot: Snapshot,
        report: RunReport,
        had_checkpoint: bool,
    ) -> None:
        report.status = "unchanged"
        report.index_version = live.version
        report.chunks_total = report.chunks_reused = live.chunk_count
        if snapshot.revision != meta.get("commit"):
            self.sstate.set_meta({**meta, "commit": snapshot.revision, "updated_at": now_iso()})
        if had_checkpoint:
            self.sstate.set_checkpoint(None)

    def _load_previous(self, live: LivePointer, cache: EmbeddingCache) -> dict[str, list[Chunk]]:
        """The live version's chunks by path; its vectors seed the embedding cache."""
        try:
            with tempfile.TemporaryDirectory(prefix="thoth-prev-") as tmp:
                directory = download_version(self.services.store, self.config.name, live.version, Path(tmp))
                loaded = load_version(directory, self.services.embedder.info.fingerprint)
                cache.seed(
                    [c.content_hash for c in loaded.chunks], np.array(loaded.vectors, dtype=np.float32)
                )
                # Format 3 reads chunk texts lazily from texts.bin: read them while the directory exists.
                chunks = list(loaded.chunks)
                seeded = pages.seed_pairs(chunks, loaded.pages.paths, loaded.page_vectors)
                if seeded is not None:
                    cache.seed(*seeded)
                del loaded
        except ThothError as exc:
            log.warning("live version unreadable; rebuilding every file", extra={"error": str(exc)})
            return {}
        by_path: dict[str, list[Chunk]] = {}
        for chunk in chunks:
            by_path.setdefault(chunk.path, []).append(chunk)
        return by_path

    def _save_state(
        self,
        snapshot: SiteSnapshot,
        states: dict[str, FileState],
        known: dict[str, FileState],
        incremental: bool,
        pointer: LivePointer,
    ) -> None:
        """After the flip: file items, then meta (the meta's version marks the state as consistent)."""
        existing = known if incremental else self.sstate.files()
        for path, file_state in states.items():
            if existing.get(path) != file_state:
                self.sstate.put_file(path, file_state)
        for path in existing:
            if path not in snapshot.files:
                self.sstate.delete_file(path)
        self.sstate.set_meta(
            {
                "commit": snapshot.revision,
                "version": pointer.version,
                "chunker": chunker_signature(self.services, snapshot),
                "format": FORMAT_VERSION,
                "kind": self.config.kind,
                "location": redact_url(self.config.location),
                "updated_at": now_iso(),
            }
        )
        self.sstate.set_checkpoint(None)
