"""A refresh killed outright (SIGKILL, as the Lambda time limit or an out-of-memory kill does) does
not block the next one: locally its lock is taken over at once (its process is gone); on the
state table a holder elsewhere frees the source when its short lease runs out, and the `locked`
report says who holds it and until when."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path
from typing import Any

import boto3
import pytest

from tests.support.refresh import write_tree
from thoth.refresh_service.state import partition
from thoth.shared.config import load_settings
from thoth.shared.live import read_live
from thoth.shared.state import StateStore, state_store
from tools.embedded_aws import aws_env, create_state_table, moto_server

pytestmark = pytest.mark.e2e
# ~600 one-chunk pages: three encode() batches, so the run is killed with embedding under way.
PAGES = {
    f"notes/page-{i:03d}.md": f"# Note {i}\n\nThe lighthouse keeper logged storm {i}.\n" for i in range(600)
}


def _env(home: Path, extra: dict[str, str]) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith(("THOTH_", "S3_", "DYNAMODB_", "AWS_"))}
    return {**env, "THOTH_HOME": str(home), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", **extra}


def _killed_mid_embedding(corpus: Path, env: dict[str, str]) -> None:
    command = [sys.executable, "-m", "thoth.refresh_service", str(corpus), "--name", "docs"]
    process = subprocess.Popen(command, env=env, stderr=subprocess.PIPE, stdout=subprocess.DEVNULL, text=True)
    assert process.stderr is not None
    seen = []
    try:
        for line in process.stderr:
            seen.append(line)
            if line.startswith("embed:"):
                break
        else:
            pytest.fail(f"the run ended before embedding: {''.join(seen)[-2000:]}")
        process.send_signal(signal.SIGKILL)
    finally:
        process.kill()
        process.wait(30)  # reaped: a zombie would still look alive
    assert process.returncode == -signal.SIGKILL


def _run(corpus: Path, env: dict[str, str]) -> dict[str, Any]:
    done = subprocess.run(
        [sys.executable, "-m", "thoth.refresh_service", str(corpus), "--name", "docs", "--json"],
        env=env, capture_output=True, text=True, timeout=600,
    )  # fmt: skip
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return report


def test_locally_a_killed_runs_lock_is_taken_over_at_once(tmp_path: Path) -> None:
    write_tree(tmp_path / "corpus", PAGES)
    env = _env(tmp_path / "home", {})
    _killed_mid_embedding(tmp_path / "corpus", env)
    state = state_store(load_settings({"THOTH_HOME": str(tmp_path / "home")}))
    assert state.get(partition("docs"), "lock") is not None  # the dead run left its lock
    report = _run(tmp_path / "corpus", env)
    assert report["status"] == "ok", report["error"]
    pointer = read_live(state, "docs")
    assert pointer is not None and pointer.version == report["index_version"]
    assert report["chunks_total"] == len(PAGES)


@pytest.fixture
def table(tmp_path: Path) -> Iterator[dict[str, str]]:
    with moto_server() as url:
        extra = aws_env(url, "thoth-crash")
        clients = {k: v for k, v in extra.items() if k.startswith("AWS_") and k != "AWS_ENDPOINT_URL"}
        os.environ.update(clients)
        try:
            boto3.client("s3", endpoint_url=url, region_name="us-east-1").create_bucket(Bucket="thoth-crash")
            create_state_table(
                boto3.client("dynamodb", endpoint_url=url, region_name="us-east-1"), "thoth-crash"
            )
            yield extra
        finally:
            for name in clients:
                os.environ.pop(name, None)


def _as_if_elsewhere(state: StateStore, lease_left_s: float) -> None:
    """The killed run's lock as a run on another machine (another Lambda sandbox) holds it."""
    item = state.get(partition("docs"), "lock")
    assert item is not None
    moved = {**item.value, "host": "sandbox-2/0badb007"}
    assert state.swap(partition("docs"), "lock", moved, expected_rev=item.rev, ttl_s=lease_left_s)


def test_on_the_state_table_a_killed_runs_lease_runs_out(tmp_path: Path, table: dict[str, str]) -> None:
    write_tree(tmp_path / "corpus", PAGES)
    env = _env(tmp_path / "home", table)
    _killed_mid_embedding(tmp_path / "corpus", env)
    state = state_store(load_settings({"THOTH_HOME": str(tmp_path / "home"), **table}))
    _as_if_elsewhere(state, lease_left_s=15)
    locked = _run(tmp_path / "corpus", env)
    assert locked["status"] == "locked"
    assert "pid" in locked["error"] and "sandbox-2" in locked["error"]
    assert "has held the lock of 'docs' for" in locked["error"] and "its lease ends at" in locked["error"]
    assert "retry after that" in locked["error"]
    item = state.get(partition("docs"), "lock")
    assert item is not None and item.expires_at is not None
    time.sleep(max(0.0, item.expires_at - time.time()) + 1)
    report = _run(tmp_path / "corpus", env)
    assert report["status"] == "ok", report["error"]
    pointer = read_live(state, "docs")
    assert pointer is not None and pointer.version == report["index_version"]
