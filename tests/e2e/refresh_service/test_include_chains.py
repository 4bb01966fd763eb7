"""Issue 20's site: 20 Hugo pages, each including a chain 10 levels deep with 12 includes a level and a
self-include at the bottom. `nox -s refresh` (the CLI) publishes every page, and not the assets."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from pathlib import Path

import pytest

from thoth.shared.config import load_settings
from thoth.shared.index import download_version, load_version
from thoth.shared.live import read_live
from thoth.shared.state import state_store
from thoth.shared.storage import object_store
from tools.bench.hostile import write_include_chain_site

pytestmark = pytest.mark.e2e


def test_a_site_of_include_chains_is_refreshed_and_every_page_published(tmp_path: Path) -> None:
    write_include_chain_site(tmp_path / "site")
    env = {k: v for k, v in os.environ.items() if not k.startswith(("THOTH_", "S3_", "DYNAMODB_"))}
    env.update(THOTH_HOME=str(tmp_path / "home"), HF_HUB_OFFLINE="1", TRANSFORMERS_OFFLINE="1")
    done = subprocess.run(
        [sys.executable, "-m", "thoth.refresh_service", str(tmp_path / "site"), "--name", "chains", "--json"],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    assert done.returncode == 0, done.stderr[-3000:]
    report = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["status"] == "ok" and report["skipped"] == [], report
    settings = load_settings({"THOTH_HOME": str(tmp_path / "home")})
    pointer = read_live(state_store(settings), "chains")
    assert pointer is not None
    index = load_version(download_version(object_store(settings), "chains", pointer.version, tmp_path / "dl"))
    pages = set(index.pages.paths)
    assert {f"content/chain-{i:02d}.md" for i in range(20)} <= pages
    assert not any(p.startswith("assets/") for p in pages)  # includes are not pages of their own
