"""Which index version each source serves: live pointers (cached), checked loads, hot swaps.

A new version is fetched (index.bin by parallel range reads into memory, every section
checked; on a hot swap texts.bin too, whole, sha256-checked) and loaded before it replaces
the old one, so a request never sees half a version. Whatever fails while swapping — a
corrupt or malformed file, a manifest that does not match the pointer, another model, the
store — leaves the old version serving, marks /health degraded with a generic reason (the
details go to the log) and is retried only after a back-off.
"""

from __future__ import annotations

import logging
import shutil
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path
from typing import TYPE_CHECKING, Any

from thoth.mcp_server.access import Sources, check_policy_sources
from thoth.mcp_server.protocol.tools import NO_DEADLINE, Deadline
from thoth.mcp_server.search import encoder
from thoth.mcp_server.search.access import NOTHING_GRANTED, visible
from thoth.mcp_server.settings import search_settings
from thoth.shared import metrics
from thoth.shared.config import get_settings
from thoth.shared.errors import ConfigError, IndexFormatError, ThothError
from thoth.shared.live import MODEL_MISMATCH_FIX, LivePointer, list_live

if TYPE_CHECKING:
    from thoth.mcp_server.search.ranking import Prepared
    from thoth.shared.state import StateStore
    from thoth.shared.storage import ObjectStore

log = logging.getLogger(__name__)
# A version that failed verification is immutable, so retrying soon is pointless; a failed
# download (network, throttling) is retried after 5 s, doubling up to 300 s while it keeps failing.
RETRY_CORRUPT_S = 300.0
RETRY_TRANSIENT_S = 5.0
_NO_INDEX = "no index is live yet; publish one with the refresh service (e.g. `nox -s refresh`)"


class IndexUnavailable(ThothError):
    """No servable index version for the request."""


class NoSuchPage(ThothError):
    """The page (or heading) asked for is not in the served version; the message lists what is."""


@dataclass(frozen=True)
class Served:
    """One loaded version, ready for search."""

    pointer: LivePointer
    prepared: Prepared


def _encoder_named(fingerprint: str) -> str:
    """The query encoder as an error names it: model, fingerprint, pooling, prefixes (from encoder.json)."""
    try:
        info = encoder.info(wait=False)
    except ConfigError:
        return fingerprint
    return info.describe() if info.fingerprint == fingerprint else fingerprint


def age_s(created_at: str, now: float) -> float | None:
    try:
        return round(max(0.0, now - datetime.fromisoformat(created_at).timestamp()), 1)
    except (ValueError, TypeError, OverflowError):
        return None


def _record_ages(pointers: list[LivePointer]) -> None:
    """The age of each live version, once per pointer re-read (the freshness alarm's data)."""
    now = time.time()
    for pointer in pointers:
        age = age_s(pointer.created_at, now)
        if age is not None:
            metrics.emit({"Source": pointer.source}, {"IndexAgeSeconds": age}, {"version": pointer.version})


class IndexRegistry:
    """Live pointers and loaded versions of every source, shared by all requests of a process."""

    def __init__(
        self,
        state: Callable[[], StateStore],
        store: Callable[[], ObjectStore],
        cache: Path,
        ttl_s: float,
        clock: Callable[[], float] = time.monotonic,
    ) -> None:
        self._state_factory, self._store_factory = state, store
        self._state: StateStore | None = None
        self._store: ObjectStore | None = None
        self.cache = cache
        self.ttl_s = ttl_s
        self._clock = clock
        self._pointers: list[LivePointer] | None = None
        self._checked_at = 0.0
        self._served: dict[str, Served] = {}
        # (source, version) -> (generic reason, retry after, failed attempts)
        self._failed: dict[tuple[str, str], tuple[str, float, int]] = {}
        self._lock = threading.RLock()
        self._load_lock = threading.Lock()

    # -- pointers -----------------------------------------------------------------------------------

    def pointers(self, *, refresh: bool = False) -> list[LivePointer]:
        """Every source's live pointer, re-read from the state store at most every ttl_s seconds."""
        with self._lock:
            now = self._clock()
            if refresh or self._pointers is None or now - self._checked_at >= self.ttl_s:
                if self._state is None:
                    self._state = self._state_factory()
                self._pointers = list_live(self._state)
                self._checked_at = now
                _record_ages(self._pointers)
            pointers = list(self._pointers)
        check_policy_sources(
            p.source for p in pointers
        )  # a policy naming no live source: refuse, with the fix
        return pointers

    # -- loading ------------------------------------------------------------------------------------

    def _refusal(self, pointer: LivePointer, fingerprint: str) -> str | None:
        """Why `pointer`'s version cannot be served (None: it can)."""
        if pointer.fingerprint != fingerprint:
            return (
                f"index {pointer.source}/{pointer.version} was built with model fingerprint "
                f"{pointer.fingerprint}, but the query encoder is {_encoder_named(fingerprint)}; "
                f"{MODEL_MISMATCH_FIX}"
            )
        failed = self._failed.get((pointer.source, pointer.version))
        if failed and self._clock() < failed[1]:
            return failed[0]
        return None

    def _load(self, pointer: LivePointer, fingerprint: str, *, swap: bool) -> Served:
        from thoth.mcp_server.search.ranking import prepare
        from thoth.shared.index import open_version

        if self._store is None:
            self._store = self._store_factory()
        # A hot swap verifies every text block before it replaces a serving version; a cold start
        # (nothing serving yet) reads texts by range, the blocks checked one by one as they arrive.
        index = open_version(
            self._store, pointer.source, pointer.version, self.cache, fingerprint, verify_texts=swap
        )
        if index.manifest.chunk_count != pointer.chunk_count:
            raise IndexFormatError(
                f"index {pointer.source}/{pointer.version} holds {index.manifest.chunk_count} chunks, "
                f"its live pointer says {pointer.chunk_count}; republish it with the refresh service"
            )
        log.info(
            "index loaded",
            extra={
                "source": pointer.source,
                "version": pointer.version,
                "chunks": index.manifest.chunk_count,
                "bytes_fetched": index.fetched.index,
            },
        )
        return Served(pointer, prepare(index))

    def _prune(self, source: str, keep: str) -> None:
        """Drop other versions of `source` from the cache (Lambda's /tmp is small); staging dirs stay."""
        root = self.cache / source
        if not root.is_dir():
            return
        for entry in root.iterdir():
            if entry.name != keep and not entry.name.startswith(".") and entry.is_dir():
                shutil.rmtree(entry, ignore_errors=True)

    def serving(self, source: str | None = None, deadline: Deadline = NO_DEADLINE) -> list[Served]:
        """Loaded versions to search (one source or all), downloading/hot-swapping as pointers move."""
        allowed = visible(self.pointers(), deadline.sources)  # the caller's sources only
        pointers = allowed
        if source is not None:
            pointers = [p for p in allowed if p.source == source]
            if not pointers:
                known = ", ".join(p.source for p in allowed) or "none yet"
                raise IndexUnavailable(f"no source named {source!r} is live; live sources: {known}")
        if not pointers:
            raise IndexUnavailable(_NO_INDEX if deadline.sources is None else NOTHING_GRANTED)
        fingerprint: str | None = None  # read only when a version is swapped in: not on every search
        served: list[Served] = []
        problems: list[str] = []
        for pointer in pointers:
            current = self._served.get(pointer.source)
            if current is None or current.pointer.version != pointer.version:
                fingerprint = fingerprint or encoder.fingerprint()
                current = self._swap_in(pointer, fingerprint, current, deadline, problems)
            if current is not None:
                served.append(current)
        if not served:
            raise IndexUnavailable("; ".join(problems) or _NO_INDEX)
        return served

    def _swap_in(
        self,
        pointer: LivePointer,
        fingerprint: str,
        current: Served | None,
        deadline: Deadline,
        problems: list[str],
    ) -> Served | None:
        with self._load_lock:  # one download per version, however many threads ask
            latest = self._served.get(pointer.source)
            if latest is not None and latest.pointer.version == pointer.version:
                return latest
            refusal = self._refusal(pointer, fingerprint)
            if refusal is None and deadline.expired():
                if current is not None:
                    return current  # keep serving what is loaded; the next request swaps
                deadline.check(f"loading {pointer.source}/{pointer.version}")
            if refusal is None:
                try:
                    fresh = self._load(pointer, fingerprint, swap=current is not None)
                except Exception as exc:  # whatever breaks a swap, the previous version keeps serving
                    refusal = self._remember_failure(pointer, exc)
                else:
                    with self._lock:
                        self._served[pointer.source] = fresh
                    self._failed.pop((pointer.source, pointer.version), None)
                    self._prune(pointer.source, pointer.version)
                    return fresh
            problems.append(refusal)
            return current

    def _remember_failure(self, pointer: LivePointer, exc: Exception) -> str:
        """Log the details, keep a generic reason, and back off before the next attempt."""
        name = f"{pointer.source}/{pointer.version}"
        key = (pointer.source, pointer.version)
        attempts = self._failed[key][2] + 1 if key in self._failed else 1
        if isinstance(exc, IndexFormatError):
            # A published version is immutable: a corrupt one stays corrupt, so retry rarely.
            reason = f"index {name} is corrupt or incomplete and was refused"
            wait = RETRY_CORRUPT_S
        elif isinstance(exc, OSError):
            reason = f"index {name} could not be cached locally (is THOTH_CACHE_DIR writable and not full?)"
            wait = min(RETRY_CORRUPT_S, RETRY_TRANSIENT_S * 2 ** (attempts - 1))
        else:
            reason = f"index {name} could not be loaded"
            wait = min(RETRY_CORRUPT_S, RETRY_TRANSIENT_S * 2 ** (attempts - 1))
        reason += "; see the server log for details"
        self._failed[key] = (reason, self._clock() + wait, attempts)
        log.error(
            "index version refused; keeping the previous one",
            extra={
                "source": pointer.source,
                "version": pointer.version,
                "error": f"{type(exc).__name__}: {exc}",
                "retry_in_s": wait,
            },
        )
        return reason

    # -- reporting ----------------------------------------------------------------------------------

    def _entries(self, sources: Sources = None) -> tuple[list[dict[str, Any]], list[str], str | None]:
        now = time.time()
        try:
            fingerprint: str | None = encoder.fingerprint(wait=False)  # /health never waits for a build
        except ConfigError as exc:
            fingerprint = None
            encoder_problem: str | None = str(exc)
        else:
            encoder_problem = None
        entries: list[dict[str, Any]] = []
        reasons = [encoder_problem] if encoder_problem else []
        for pointer in visible(self.pointers(), sources):
            served = self._served.get(pointer.source)
            shown = served.pointer if served else pointer
            problem = self._refusal(pointer, fingerprint) if fingerprint else None
            if problem:
                reasons.append(problem + (f" (serving {shown.version})" if served else ""))
            entries.append(
                {
                    "source": shown.source,
                    "version": shown.version,
                    "commit": shown.commit,
                    "chunk_count": shown.chunk_count,
                    "built_at": shown.created_at,
                    "age_s": age_s(shown.created_at, now),
                    "fingerprint": shown.fingerprint,
                    "status": "degraded" if problem or encoder_problem else "ok",
                    "reason": problem,
                }
            )
        if not entries:
            reasons.append(_NO_INDEX)
        return entries, reasons, fingerprint

    def health(self) -> dict[str, Any]:
        """The /health view: status, reason when degraded, and per-source version/commit/age."""
        entries, reasons, _ = self._entries()
        result: dict[str, Any] = {"status": "degraded" if reasons else "ok"}
        if reasons:
            result["reason"] = "; ".join(reasons)
        result["indexes"] = {
            e["source"]: {k: e[k] for k in ("version", "commit", "built_at", "age_s")} for e in entries
        }
        return result

    def status(self, sources: Sources = None) -> dict[str, Any]:
        """The index_status tool's view of the `sources` a caller may read (pointers and the encoder)."""
        entries, reasons, fingerprint = self._entries(sources)
        return {
            "status": "degraded" if reasons else "ok",
            "reason": "; ".join(reasons) or None,
            "encoder_fingerprint": fingerprint,
            "sources": entries,
        }


_registry: IndexRegistry | None = None
_registry_key: tuple[Any, ...] | None = None
_registry_lock = threading.Lock()


def registry() -> IndexRegistry:
    """The process-wide registry for the current settings (a new one when settings change, e.g. in tests)."""
    global _registry, _registry_key
    settings = get_settings()
    search = search_settings()
    key = (settings, search)
    with _registry_lock:
        if _registry is None or _registry_key != key:
            from thoth.shared.state import state_store

            def store() -> ObjectStore:
                from thoth.shared.storage import object_store  # only needed once a download starts

                return object_store(settings)

            _registry = IndexRegistry(
                state=lambda: state_store(settings),
                store=store,
                cache=settings.cache_dir,
                ttl_s=search.pointer_ttl_s,
            )
            _registry_key = key
        return _registry
