"""One refresh of one source: snapshot → diff → parse/chunk changed files → embed new chunks → publish."""

from __future__ import annotations

import dataclasses
import secrets
import tempfile
import time
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

import numpy as np

from thoth.refresh_service import pages
from thoth.refresh_service.chunk import ChunkSettings, chunk_document, chunk_embed_text, page_url
from thoth.refresh_service.config import SourceConfig, redact_url
from thoth.refresh_service.embed import Embedder, EmbeddingCache, Vectors
from thoth.refresh_service.gitsource import git_snapshot
from thoth.refresh_service.lock import SourceLock
from thoth.refresh_service.markup import Budget, BudgetExceeded, ParseError, parse_document, too_large
from thoth.refresh_service.markup.budget import DEFAULT_SECONDS, EXPANSION_FACTOR
from thoth.refresh_service.markup.sitefiles import SiteSnapshot, stale_includes, widened, with_site
from thoth.refresh_service.publish import PublishError, collect_garbage, publish
from thoth.refresh_service.report import Meter, Progress, ProgressFn, RunReport
from thoth.refresh_service.settings import DEFAULT_KEEP_VERSIONS, DEFAULT_MAX_FILE_BYTES
from thoth.refresh_service.sources import Skipped, Snapshot, dir_snapshot, s3_snapshot
from thoth.refresh_service.state import FileState, SourceState
from thoth.shared import metrics
from thoth.shared.config import Settings
from thoth.shared.errors import ThothError
from thoth.shared.index import FORMAT_VERSION, Chunk, download_version, load_version
from thoth.shared.live import LivePointer, read_live
from thoth.shared.logging import get_logger, redact
from thoth.shared.secrets import Secrets
from thoth.shared.state import StateStore
from thoth.shared.storage import ObjectStore

log = get_logger(__name__)
MODES = ("incremental", "full")


def now_iso() -> str:
    return datetime.now(UTC).isoformat(timespec="seconds")


def age_s(created_at: str) -> float | None:
    """Seconds since an ISO timestamp (None when it is unreadable)."""
    try:
        return round(max(0.0, time.time() - datetime.fromisoformat(created_at).timestamp()), 1)
    except (TypeError, ValueError, OverflowError):
        return None


@dataclass(frozen=True)
class RunOptions:
    """How to run: mode, git ref, deadline (seconds left) and progress reporting."""

    mode: str = "incremental"
    ref: str | None = None
    remaining_s: Callable[[], float] | None = None
    reserve_s: float = 30.0
    progress: ProgressFn | None = None
    embed_batch: int = 256  # chunks per encode() call; the deadline is checked between calls
    flush_every: int = 1024


@dataclass
class Services:
    """Everything a refresh talks to; tests swap in faulty stores or a counting embedder."""

    store: ObjectStore
    state: StateStore
    embedder: Embedder
    settings: Settings
    chunking: ChunkSettings = field(default_factory=ChunkSettings)
    max_bytes: int = DEFAULT_MAX_FILE_BYTES
    keep: int = DEFAULT_KEEP_VERSIONS
    cache_dir: Path = Path(".thoth/cache")
    secrets: Secrets | None = None
    sources_config: str | None = None  # THOTH_SOURCES_CONFIG; None: the store's config/sources.yaml
    queue_url: str | None = None  # THOTH_QUEUE_URL; None: full rebuilds run in one invocation
    parse_budget_s: float = DEFAULT_SECONDS  # parse + chunk of one file; over it the file is skipped


class _DeadlineNear(ThothError):
    """Control flow inside a run, never raised to a caller: checkpoint and return a partial report."""

    def __init__(self) -> None:
        super().__init__(
            "the invocation's deadline is near; progress is checkpointed and the next run resumes "
            "(raise the function timeout to finish in one run)"
        )


def take_snapshot(
    config: SourceConfig, services: Services, ref: str | None, since: str | None
) -> SiteSnapshot:
    """The source's pages (git: at `ref`, diffed against `since` when known) and its Hugo site."""
    return with_site(_snapshot(widened(config), services, ref, since), config)


def _snapshot(config: SourceConfig, services: Services, ref: str | None, since: str | None) -> Snapshot:
    if config.kind == "dir":
        return dir_snapshot(config)
    if config.kind == "s3":
        return s3_snapshot(config, services.settings)
    token = None
    if config.token_secret is not None:
        # Only a source that names its token gets one (config.py admits that on https:// git
        # locations only); no remote is handed a default token.
        token = (services.secrets or Secrets(services.settings)).get(config.token_secret)
    return git_snapshot(config, services.cache_dir, token, ref, since)


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

    def embed_paths(self, paths: Sequence[str], ref: str | None, report: RunReport) -> None:
        """Fan-out worker: parse, chunk and embed `paths` into the shared embedding cache (no publish)."""
        snapshot = take_snapshot(self.config, self.services, ref, None)
        try:
            report.commit = snapshot.revision
            wanted = [p for p in paths if p in snapshot.files]
            chunks, _states = self._chunk_files(snapshot, wanted, report, RunOptions())
        finally:
            snapshot.close()
        cache = EmbeddingCache(self.services.store, self.services.embedder.info, self.config.name)
        cache.load()
        flat = [c for path in wanted for c in chunks.get(path, [])]
        self._embed(flat, cache, RunOptions(), report, None)

    # -- the pipeline ---------------------------------------------------------------------------

    def _run_locked(self, options: RunOptions, report: RunReport, lock: SourceLock) -> None:
        services, name = self.services, self.config.name
        info = services.embedder.info
        meta = self.sstate.meta()
        checkpoint = self.sstate.checkpoint()
        mode = options.mode
        if checkpoint:
            report.resumed = True
            if checkpoint.get("mode") == "full":
                mode = "full"
        live = read_live(services.state, name)
        report.previous_version = live.version if live else None
        report.previous_commit = meta.get("commit")
        # The state describes the live version only if both were written by this index format.
        consistent = (
            live is not None
            and meta.get("version") == live.version
            and live.fingerprint == info.fingerprint
            and meta.get("format") == FORMAT_VERSION
        )
        incremental = mode == "incremental" and consistent
        since = meta.get("commit") if incremental else None
        snapshot = take_snapshot(self.config, services, options.ref, since)
        try:
            self._build(snapshot, options, report, lock, live, meta, checkpoint, mode, incremental)
        finally:
            snapshot.close()

    def _build(
        self,
        snapshot: SiteSnapshot,
        options: RunOptions,
        report: RunReport,
        lock: SourceLock,
        live: LivePointer | None,
        meta: dict[str, Any],
        checkpoint: dict[str, Any] | None,
        mode: str,
        incremental: bool,
    ) -> None:
        services, name, info = self.services, self.config.name, self.services.embedder.info
        incremental = incremental and meta.get("chunker") == chunker_signature(services, snapshot)
        report.commit = snapshot.revision
        report.files_total = len(snapshot.files)
        for item in snapshot.skipped:
            report.skip(item)
        if snapshot.site is not None:
            for warning in snapshot.site.warnings:
                report.warn("", warning)
        known = self.sstate.files() if incremental else {}
        added = sorted(p for p in snapshot.files if p not in known)
        modified = sorted(p for p, e in snapshot.files.items() if p in known and known[p].digest != e.digest)
        # Includes: a page is re-indexed when a file it includes changed, appeared or went away.
        by_includes = [
            p
            for p in snapshot.files
            if p in known and p not in modified and stale_includes(known[p].includes, snapshot.site)
        ]
        if by_includes:
            report.extra["pages_reindexed_for_includes"] = len(by_includes)
            modified = sorted([*modified, *by_includes])
        deleted = sorted(p for p in known if p not in snapshot.files)
        renames = self._renames(snapshot, known, added, deleted)
        report.change_detection = (
            ("git-diff" if snapshot.renames is not None else "content-hash") if incremental else "full"
        )
        report.files_renamed = len(renames)
        report.files_added = len(added) - len(renames)
        report.files_modified = len(modified)
        report.files_deleted = len(deleted) - len(renames)
        if live is not None and incremental and not (added or modified or deleted):
            self._unchanged(live, meta, snapshot, report, checkpoint is not None)
            return
        cache = EmbeddingCache(services.store, info, self.config.name)
        cache.load()
        previous = (
            self._load_previous(live, cache)
            if live is not None and live.fingerprint == info.fingerprint
            else {}
        )
        todo = added + modified
        reused: dict[str, list[Chunk]] = {}
        for path in sorted(set(snapshot.files) - set(todo)):
            old = previous.get(path, [])
            if known[path].skipped is None and [c.id for c in old] == known[path].chunk_ids:
                entry = snapshot.files[path]
                reused[path] = [
                    dataclasses.replace(c, commit=snapshot.revision, last_modified=entry.last_modified)
                    for c in old
                ]
            elif known[path].skipped is None:
                todo.append(path)  # the state and the live version disagree: rebuild this file
        report.files_unchanged = len(reused)
        fresh, states = self._chunk_files(snapshot, sorted(todo), report, options)
        chunks = [c for path in sorted(snapshot.files) for c in (fresh.get(path) or reused.get(path) or [])]
        try:
            self._embed(chunks, cache, options, report, lock)
        except _DeadlineNear:
            self.sstate.set_checkpoint(
                {"run_id": report.run_id, "mode": mode, "commit": snapshot.revision, "at": now_iso()}
            )
            report.status = "partial"
            report.index_version = report.previous_version
            return
        vectors: Vectors = (
            np.stack([v for c in chunks if (v := cache.get(c.content_hash)) is not None])
            if chunks
            else np.zeros((0, info.dimension), dtype=np.float32)
        )
        page_vectors = self._page_vectors(chunks, cache, report)
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
            extra={
                "kind": self.config.kind,
                "location": redact_url(self.config.location),
                "files": len(snapshot.files),
            },
        )
        report.index_version = pointer.version
        report.chunks_total = len(chunks)
        self._save_state(snapshot, states, known, incremental, pointer)
        cache.drop_loaded()
        report.versions_removed = collect_garbage(services.store, name, pointer.version, services.keep)
        report.status = "ok"

    def _page_vectors(
        self, chunks: list[Chunk], cache: EmbeddingCache, report: RunReport
    ) -> dict[str, Vectors]:
        """One vector per page (title + description); only pages whose text changed are embedded."""
        texts = pages.page_texts(chunks)
        todo = sorted({key: text for key, text in texts.values() if key not in cache}.items())
        for start in range(0, len(todo), 256):
            batch = todo[start : start + 256]
            cache.add([k for k, _ in batch], self.services.embedder.encode([t for _, t in batch]))
        cache.flush()
        report.pages_embedded = len(todo)
        return pages.assemble(
            texts, {key: v for key, _ in texts.values() if (v := cache.get(key)) is not None}
        )

    def _renames(
        self, snapshot: Snapshot, known: dict[str, FileState], added: list[str], deleted: list[str]
    ) -> dict[str, str]:
        """old → new path pairs: from the git diff when available, else by identical content digest."""
        if snapshot.renames is not None:
            return {o: n for o, n in snapshot.renames.items() if o in deleted and n in added}
        by_digest = {snapshot.files[p].digest: p for p in added}
        return {o: by_digest[known[o].digest] for o in deleted if known[o].digest in by_digest}

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

    def _chunk_files(
        self, snapshot: SiteSnapshot, paths: list[str], report: RunReport, options: RunOptions
    ) -> tuple[dict[str, list[Chunk]], dict[str, FileState]]:
        """Parse and chunk `paths`; failures become skips (deterministic ones are remembered)."""
        services, config = self.services, self.config
        out: dict[str, list[Chunk]] = {}
        states: dict[str, FileState] = {}
        total = len(paths)
        for i, path in enumerate(paths, 1):
            entry = snapshot.files[path]
            try:
                if entry.size > services.max_bytes:
                    raise ParseError(too_large(entry.size, services.max_bytes))
                # One per file: time and size bounded; over budget the run goes on without the file.
                budget = Budget(services.parse_budget_s, EXPANSION_FACTOR * services.max_bytes)
                doc = parse_document(path, snapshot.read(path), services.max_bytes, snapshot.site, budget)
                chunks = chunk_document(
                    doc,
                    source=config.name,
                    url=page_url(path, config.base_url, config.strip_prefix, snapshot.site, doc.meta),
                    commit=snapshot.revision,
                    last_modified=entry.last_modified,
                    settings=services.chunking,
                    budget=budget,
                )
            except BudgetExceeded as exc:  # depends on the machine's load: not remembered, retried
                report.skip(Skipped(path, str(exc)))
                continue
            except ParseError as exc:
                report.skip(Skipped(path, str(exc)))
                states[path] = FileState(entry.digest, [], str(exc))
                continue
            except Exception as exc:
                # Not remembered in the state, so the next run tries this file again.
                report.skip(
                    Skipped(path, redact(f"parse failed ({type(exc).__name__}: {exc}); retried next run"))
                )
                continue
            out[path] = chunks
            states[path] = FileState(entry.digest, [c.id for c in chunks], None, doc.includes)
            for warning in doc.warnings:
                report.warn(path, warning)
            if options.progress and (i % 200 == 0 or i == total):
                options.progress(Progress("parse", i, total, sum(map(len, out.values())), 0, 0, 0.0, None))
        return out, states

    def _embed(
        self,
        chunks: list[Chunk],
        cache: EmbeddingCache,
        options: RunOptions,
        report: RunReport,
        lock: SourceLock | None,
    ) -> None:
        """Embed chunks whose content hash is not cached, in batches; checkpoint before the deadline."""
        texts: dict[str, str] = {}
        for c in chunks:
            if c.content_hash not in cache and c.content_hash not in texts:
                texts[c.content_hash] = chunk_embed_text(c)
        # Longest first, as encode() does within a call: batches of similar length waste no padding.
        todo = sorted(texts, key=lambda h: (-len(texts[h]), h))
        meter, pending = Meter(), 0
        report.chunks_total = len(chunks)
        try:
            for start in range(0, len(todo), options.embed_batch):
                if options.remaining_s is not None and options.remaining_s() < options.reserve_s:
                    raise _DeadlineNear
                batch = todo[start : start + options.embed_batch]
                began = time.monotonic()
                vectors = self.services.embedder.encode([texts[h] for h in batch])
                meter.add(len(batch), time.monotonic() - began)
                cache.add(batch, vectors)
                report.chunks_embedded += len(batch)
                pending += len(batch)
                if pending >= options.flush_every:
                    cache.flush()
                    pending = 0
                if lock is not None and not lock.refresh():
                    raise PublishError(
                        f"lost the lock of {self.config.name!r} (it expired); re-run the refresh"
                    )
                if options.progress:
                    done = start + len(batch)
                    options.progress(
                        Progress(
                            "embed",
                            report.files_total,
                            report.files_total,
                            len(chunks),
                            done,
                            len(todo),
                            meter.rate,
                            meter.eta(len(todo) - done),
                        )
                    )
            if options.remaining_s is not None and todo and options.remaining_s() < options.reserve_s:
                raise _DeadlineNear
        finally:
            cache.flush()  # finished work survives a crash, a deadline or a failed publish
            report.embeddings_per_s = round(meter.rate, 2)
        embedded = set(todo)
        report.chunks_reused = sum(1 for c in chunks if c.content_hash not in embedded)

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
