"""Git sources through dulwich (pure Python: the Lambda image has no git binary)."""

from __future__ import annotations

import posixpath
import re
import stat
from pathlib import Path
from typing import Any

from thoth.refresh_service.sources.definitions import SourceConfig, redact_url
from thoth.refresh_service.sources.gitdates import commit_dates, commits_since
from thoth.refresh_service.sources.gitfetch import fetch_history, is_auth_failure
from thoth.refresh_service.sources.snapshot import (
    FileEntry,
    Skipped,
    Snapshot,
    SourceError,
    is_git_metadata,
    link_refusal,
    selected,
    unsafe_path,
)
from thoth.shared.history import DEFAULT_DAYS
from thoth.shared.logging import redact

_SHA_RE = re.compile(r"^[0-9a-f]{40}\Z")


def is_remote(location: str) -> bool:
    return "://" in location or location.startswith("git@")


def _clean(text: str, token: str | None) -> str:
    text = redact(redact_url(text))
    return text.replace(token, "[REDACTED]") if token else text


def _credentials(config: SourceConfig, token: str | None) -> tuple[str | None, str | None]:
    """Basic-auth user and password for `config`'s fetch: only for a source that names its token."""
    if token is None:
        return None, None
    if config.token_origin is None:
        # parse_source already refuses this; a SourceConfig built in code must not get around it.
        raise SourceError(
            f"{config.describe()}: refusing to send a token: only an https:// git source that names "
            "token_secret gets one"
        )
    return "oauth2", token


def open_repo(
    config: SourceConfig,
    cache_dir: Path,
    token: str | None,
    *,
    ref: str | None = None,
    since: str | None = None,
    history_days: int = DEFAULT_DAYS,
) -> tuple[Any, dict[bytes, bytes]]:
    """The local repository and its refs (fetched into `cache_dir` for remote URLs, with the commits of
    the last `history_days` days, and deep enough to reach `since` from `ref` when it can: gitfetch)."""
    from dulwich.client import get_transport_and_path
    from dulwich.errors import NotGitRepository
    from dulwich.repo import Repo

    if not is_remote(config.location):
        try:
            repo = Repo(config.location)
        except (NotGitRepository, FileNotFoundError, NotADirectoryError):
            raise SourceError(
                f"{config.describe()}: not a git repository; fix the location or use kind 'dir'"
            ) from None
        return repo, {bytes(k): bytes(v) for k, v in repo.get_refs().items()}
    username, password = _credentials(config, token)
    target = cache_dir / "refresh-git" / config.name
    try:
        if (target / "objects").is_dir():
            repo = Repo(str(target))
        else:
            target.mkdir(parents=True, exist_ok=True)
            repo = Repo.init_bare(str(target))
        client, path = get_transport_and_path(
            config.location,
            config=repo.get_config_stack(),
            quiet=True,
            # dulwich attaches these only to requests for the location's own origin (scheme, host,
            # port): a redirect or a rebased URL elsewhere gets no Authorization header.
            username=username,
            password=password,
        )

        def tip(refs: dict[bytes, bytes]) -> bytes | None:
            try:
                return resolve(repo, refs, config, ref)
            except (SourceError, KeyError):
                return None  # the snapshot says why

        refs = fetch_history(repo, client, path, history_days=history_days, since=since, tip=tip)
    except Exception as exc:
        text = _clean(f"{type(exc).__name__}: {exc}", token)
        hint = "check the URL and the network"
        if is_auth_failure(exc):
            hint = (
                "check the token (secret gitlab-token or THOTH_GITLAB_TOKEN) and its read_repository scope"
                if token
                else "the repository needs credentials: set token_secret: gitlab-token on the source "
                "(https locations only) and store the token in that secret (THOTH_GITLAB_TOKEN locally)"
            )
        raise SourceError(f"cannot fetch {config.describe()}: {text}; {hint}") from None
    return repo, refs


def resolve(repo: Any, refs: dict[bytes, bytes], config: SourceConfig, ref: str | None) -> bytes:
    """The commit sha `ref` names (branch, tag or sha; default HEAD)."""
    from dulwich.objects import Commit, Tag

    candidates = (
        [b"HEAD"]
        if not ref
        else [
            f"refs/remotes/origin/{ref}".encode(),
            f"refs/heads/{ref}".encode(),
            f"refs/tags/{ref}".encode(),
            ref.encode(),
        ]
    )
    sha = next((refs[c] for c in candidates if c in refs), None)
    if sha is None and ref and _SHA_RE.match(ref) and ref.encode() in repo.object_store:
        sha = ref.encode()
    if sha is None:
        if not refs:
            raise SourceError(
                f"{config.describe()}: the repository is empty (no commits); push a commit first"
            )
        names = ", ".join(sorted(r.decode(errors="replace") for r in refs)[:8])
        raise SourceError(f"{config.describe()}: ref {ref or 'HEAD'!r} not found; use one of: {names}")
    obj = repo[sha]
    while isinstance(obj, Tag):
        obj = repo[obj.object[1]]
    if not isinstance(obj, Commit):
        raise SourceError(f"{config.describe()}: ref {ref!r} does not name a commit")
    return bytes(obj.id)


def _walk(
    repo: Any, tree_id: bytes, prefix: str, out: dict[str, tuple[int, bytes]], bad: list[Skipped]
) -> None:
    for entry in repo[tree_id].iteritems():
        name = entry.path.decode("utf-8", errors="surrogateescape")
        path = f"{prefix}{name}"
        if "/" in name or name in ("", ".", ".."):
            bad.append(Skipped(path, "path traversal in a tree entry name; rename the file"))
        elif is_git_metadata(name):
            # git refuses to check such an entry out; its content is never indexed.
            bad.append(Skipped(path, "a .git entry inside the tree (git metadata) is never read"))
        elif stat.S_ISDIR(entry.mode):
            _walk(repo, entry.sha, path + "/", out, bad)
        elif not stat.S_ISLNK(entry.mode) and not stat.S_ISREG(entry.mode):
            continue  # submodules
        else:
            out[path] = (entry.mode, entry.sha)


def git_snapshot(
    config: SourceConfig,
    cache_dir: Path,
    token: str | None,
    ref: str | None,
    since: str | None,
    history_days: int = DEFAULT_DAYS,
) -> Snapshot:
    """Files of the commit `ref` resolves to; `since` (a previous commit) enables a rename-aware diff
    and the commits since it; a remote is fetched with the last `history_days` days of history."""
    ref = ref or config.ref
    repo, refs = open_repo(config, cache_dir, token, ref=ref, since=since, history_days=history_days)
    try:
        return _snapshot(repo, refs, config, ref, since)
    except BaseException:
        repo.close()
        raise


def _snapshot(
    repo: Any, refs: dict[bytes, bytes], config: SourceConfig, ref: str | None, since: str | None
) -> Snapshot:
    commit = resolve(repo, refs, config, ref)
    tree = repo[commit].tree
    raw: dict[str, tuple[int, bytes]] = {}
    skipped: list[Skipped] = []
    _walk(repo, tree, "", raw, skipped)
    files: dict[str, FileEntry] = {}
    blobs: dict[str, bytes] = {}
    for path, (mode, sha) in sorted(raw.items()):
        if not selected(path, config.include, config.exclude):
            continue
        reason = unsafe_path(path)
        if reason is None and stat.S_ISLNK(mode):
            target = posixpath.normpath(
                posixpath.join(posixpath.dirname(path), repo[sha].data.decode(errors="replace"))
            )
            if target.startswith(("/", "../")) or target == "..":
                reason = "symlink points outside the source"
            elif (refusal := link_refusal(target, config)) is not None:
                reason = refusal
            elif target not in raw or not stat.S_ISREG(raw[target][0]):
                reason = "symlink target is not a file in the repository"
            else:
                sha = raw[target][1]
        if reason:
            skipped.append(Skipped(path, reason))
            continue
        blobs[path] = sha
        files[path] = FileEntry(path, "git:" + sha.decode(), repo.object_store.get_raw(sha)[1].__len__())
    dates = commit_dates(repo, commit, set(files))
    files = {p: FileEntry(f.path, f.digest, f.size, dates.get(p) or None) for p, f in files.items()}
    renames = _renames(repo, since, tree, files) if since else None
    commits = commits_since(repo, commit, since) if since else None

    def read(path: str) -> bytes:
        return bytes(repo[blobs[path]].data)

    return Snapshot("git", commit.decode(), files, read, skipped, renames, commits, repo.close)


def _renames(repo: Any, since: str, tree: Any, files: dict[str, FileEntry]) -> dict[str, str] | None:
    """Renames between `since` and `tree`, or None when the old commit is not available (shallow)."""
    from dulwich.diff_tree import CHANGE_RENAME, RenameDetector, tree_changes

    try:
        old_tree = repo[since.encode()].tree
        changes = list(
            tree_changes(repo.object_store, old_tree, tree, rename_detector=RenameDetector(repo.object_store))
        )
    except (KeyError, ValueError):
        return None
    renames = {}
    for change in changes:
        old, new = change.old, change.new
        if change.type == CHANGE_RENAME and old is not None and new is not None and old.path and new.path:
            new_path = new.path.decode("utf-8", errors="surrogateescape")
            if new_path in files:
                renames[old.path.decode("utf-8", errors="surrogateescape")] = new_path
    return renames
