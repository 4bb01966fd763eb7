"""A real Hugo documentation site (Docsy's own docs: module mounts, a second language, its shortcodes)
indexed as a user would, and every URL and fragment Thoth returns checked against a `hugo` render.

The site is read from ../shared/corpora/docsy-docs (never copied into the repository); its theme's
templates are not there, so `hugo` renders it with stub shortcodes (hugo_oracle.themeless).
"""

from __future__ import annotations

import json
import re
import subprocess
import sys
from pathlib import Path

import pytest

from tests.support.hugo_oracle import render, themeless
from tests.support.mcp_clients import REPO, offline_env
from thoth.shared.index import download_version, load_version
from thoth.shared.live import read_live
from thoth.shared.state import SqliteStateStore
from thoth.shared.storage import LocalObjectStore

pytestmark = pytest.mark.e2e
CORPUS = REPO.parent / "shared" / "corpora" / "docsy-docs"
BASE = "https://www.docsy.dev/"  # the site's baseURL: Thoth takes it from the config
_CODE = re.compile(r"```.*?```|`[^`\n]+`", re.DOTALL)
_MARKERS = re.compile(r"\{\{[<%]|[>%]\}\}|^\s*>\s*\[![A-Za-z]+\]", re.MULTILINE)


@pytest.mark.skipif(
    not (CORPUS / "config").is_dir(),
    reason=f"the Docsy docs corpus is not at {CORPUS} (clone github.com/google/docsy and point "
    "shared/corpora/docsy-docs at its docsy.dev folder to run this test)",
)
def test_every_url_and_fragment_is_one_hugo_publishes(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    home = tmp_path / "home"
    env = offline_env(home)
    subprocess.run([sys.executable, "-m", "tools.build.encoder_export"], env=env, check=True, cwd=REPO)
    done = subprocess.run(
        [sys.executable, "-m", "thoth.refresh_service", str(CORPUS), "--name", "docsy", "--json"],
        env=env, cwd=REPO, capture_output=True, text=True, timeout=1200,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["status"] == "ok", report
    hugo = render(themeless(CORPUS, tmp_path / "hugo"), tmp_path / "hugo", BASE)

    pointer = read_live(SqliteStateStore(home / "state.sqlite3"), "docsy")
    assert pointer is not None
    store = LocalObjectStore(home / "objects")
    index = load_version(download_version(store, "docsy", pointer.version, tmp_path))
    chunks = list(index.chunks)
    pages = {c.url.split("#")[0] for c in chunks}
    fragments = {c.url for c in chunks if "#" in c.url}
    missing = sorted(url for url in pages if url not in hugo)
    bad = sorted(url for url in fragments if url.split("#")[1] not in hugo.get(url.split("#")[0], []))
    marked = sorted({c.url for c in chunks if _MARKERS.search(_CODE.sub("", c.text))})
    with capsys.disabled():
        print(
            f"\ndocsy: {len(pages)} pages, {len(chunks)} chunks, {len(fragments)} fragments; hugo published "
            f"{len(hugo)} pages; {len(missing)} URLs and {len(bad)} fragments Hugo does not publish; "
            f"{len(marked)} chunks with markers; {len(report['warnings'])} warnings, "
            f"{report['files_skipped']} skipped"
        )
    assert missing == [] and bad == [] and marked == []
    assert len(pages) >= 70 and all(url.startswith(BASE) for url in pages)  # pages with text
    # What is left out is named: content mounted from outside the folder, includes not found.
    assert all(
        "outside the source" in w["warning"] or "not found" in w["warning"] for w in report["warnings"]
    ), report["warnings"]
