"""Fetch a remote git source as deep as the change-record window, so the records carry its commits.

The fetch asks for the commits of the last THOTH_HISTORY_DAYS days (git's --shallow-since; the
protocol's deepen-since), the most recent_changes may show, and asks again on every run, so a clone
already in the cache (depth 1, or an older window) deepens as the window needs. A server that refuses
deepen-since, or has no commit in the window (git: "no commits selected for shallow requests"), is
fetched at depth 1 instead. When the previous published commit is then not reachable in the fetched
history (a source last refreshed before the window began), the fetch deepens to HISTORY_LIMIT
commits, the most the change record walks; past that, the run compares content hashes and the
record carries no commits, as with any history it cannot read.
"""

from __future__ import annotations

import io
import re
import time
from collections.abc import Callable, Mapping
from typing import Any

from thoth.refresh_service.sources.gitdates import HISTORY_LIMIT
from thoth.shared.logging import get_logger

log = get_logger(__name__)
DAY_S = 86400
_AUTH_RE = re.compile(r"\b40[13]\b|auth", re.I)

Refs = dict[bytes, bytes]


def is_auth_failure(exc: BaseException) -> bool:
    """Whether `exc` is the server refusing the credentials (asking again would not help)."""
    return "Unauthorized" in type(exc).__name__ or bool(_AUTH_RE.search(str(exc)))


def _every_ref(refs: Mapping[Any, Any], depth: int | None = None) -> list[Any]:
    """Want every ref's commit, present or not: a deepen request must name the tips it deepens."""
    return [sha for ref, sha in refs.items() if sha and not bytes(ref).endswith(b"^{}")]


def reaches(repo: Any, tip: bytes, commit: bytes) -> tuple[bool, int]:
    """(whether `commit` is in the history fetched below `tip`, commits walked), within HISTORY_LIMIT."""
    walked = 0
    try:
        for entry in repo.get_walker(include=[tip], max_entries=HISTORY_LIMIT):
            walked += 1
            if entry.commit.id == commit:
                return True, walked
    except KeyError:
        pass  # an object the shallow history lacks: what was walked stands
    return False, walked


def fetch_history(
    repo: Any,
    client: Any,
    path: str,
    *,
    history_days: int,
    since: str | None,
    tip: Callable[[Refs], bytes | None],
    now: float | None = None,
) -> Refs:
    """Fetch into `repo` with the window's history; the remote's refs. `tip(refs)` is the commit the
    run will index (None: unknown), `since` the one it diffs from. Raises what the last fetch raised."""
    cutoff = int((time.time() if now is None else now) - history_days * DAY_S)
    try:
        result = _fetch(client, path, repo, shallow_since=str(cutoff))
        how = f"commits since {time.strftime('%Y-%m-%d', time.gmtime(cutoff))}"
    except Exception as exc:
        if is_auth_failure(exc):
            raise
        # Refused, or no commit in the window: the tip alone still indexes the pages.
        log.info("shallow-since fetch refused; fetching depth 1", extra={"error": f"{type(exc).__name__}"})
        result = _fetch(client, path, repo, depth=1)
        how = "depth 1"
    refs = remote_refs(result)
    head = tip(refs) if since else None
    if head is not None and since is not None:
        found, walked = reaches(repo, head, since.encode())
        if not found and walked < HISTORY_LIMIT:
            try:
                result = _fetch(client, path, repo, depth=HISTORY_LIMIT)
                refs = remote_refs(result)
                how = f"{how}, deepened to {HISTORY_LIMIT} commits to reach the previous commit"
            except Exception as exc:  # the tip is fetched: the run goes on without the older history
                log.warning("could not deepen the fetch", extra={"error": f"{type(exc).__name__}"})
    _auto_gc(repo)
    log.info("fetched", extra={"history": how})
    return refs


def _auto_gc(repo: Any) -> None:
    """Repack when git would (one pack per fetch adds up in a long-lived cache), as `git fetch` does."""
    from dulwich.gc import maybe_auto_gc

    try:
        maybe_auto_gc(repo)
    except Exception as exc:  # a cache that is not repacked still serves this run
        log.warning("git gc failed", extra={"error": f"{type(exc).__name__}: {exc}"})


def remote_refs(result: Any) -> Refs:
    """The refs a fetch saw, with HEAD resolved through its symref when the server sent only that."""
    refs = {bytes(k): bytes(v) for k, v in result.refs.items() if v}
    symrefs: dict[Any, Any] = getattr(result, "symrefs", {}) or {}
    if b"HEAD" not in refs and b"HEAD" in symrefs and symrefs[b"HEAD"] in refs:
        refs[b"HEAD"] = refs[symrefs[b"HEAD"]]
    return refs


def _fetch(
    client: Any, path: str, repo: Any, *, depth: int | None = None, shallow_since: str | None = None
) -> Any:
    deepen = shallow_since is not None or (depth is not None and depth > 1)
    return client.fetch(
        path.encode(),
        repo,
        determine_wants=_every_ref if deepen else None,
        progress=io.BytesIO().write,
        depth=depth,
        shallow_since=shallow_since,
    )
