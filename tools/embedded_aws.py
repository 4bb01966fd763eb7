"""The one embedded AWS: moto (and, for `local`, a docker-registry) on 127.0.0.1 instead of an account.

In-process, for tests and benchmarks: `moto_server` (a threaded moto server), `create_state_table` (the
state table's shape), `aws_env` and `publish` (index versions for the MCP benchmark). Loopback hides
S3's latency (a real GET's first byte takes 10-30 ms, and each range a connection of its own), so the
figures it gives are a floor; the bytes fetched are what a real Lambda pays.

As background processes, for the `local` environment of the deploy tooling: `ensure` starts a moto
server and a docker-registry (or reuses the running pair recorded under THOTH_HOME/local-aws),
`current` finds them, `stop` ends them by their recorded ids.
"""

from __future__ import annotations

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import asdict, dataclass
from pathlib import Path
from typing import Any

from tools.aws.envs import thoth_home
from tools.aws.errors import DeployError

FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
FAKE_AWS = {
    **FAKE_CREDENTIALS,
    "AWS_SESSION_TOKEN": "testing",
    "AWS_DEFAULT_REGION": "us-east-1",
    "AWS_REGION": "us-east-1",
}


@contextmanager
def moto_server() -> Iterator[str]:
    """A moto server on a free loopback port; yields its URL, stops it afterwards."""
    import logging

    from moto.server import ThreadedMotoServer

    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # one access-log line per range GET
    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    try:
        yield f"http://{host}:{port}"
    finally:
        server.stop()


def create_state_table(dynamodb: Any, name: str) -> None:
    """The state table as infra/ creates it (pk/sk strings, on demand), through a boto3 DynamoDB client."""
    dynamodb.create_table(
        TableName=name,
        AttributeDefinitions=[
            {"AttributeName": "pk", "AttributeType": "S"},
            {"AttributeName": "sk", "AttributeType": "S"},
        ],
        KeySchema=[{"AttributeName": "pk", "KeyType": "HASH"}, {"AttributeName": "sk", "KeyType": "RANGE"}],
        BillingMode="PAY_PER_REQUEST",
    )


def aws_env(url: str, name: str) -> dict[str, str]:
    """What a child process needs to run on bucket and table `name` of the embedded AWS."""
    return {**FAKE_AWS, "AWS_ENDPOINT_URL": url, "S3_BUCKET_NAME": name, "DYNAMODB_TABLE_NAME": name}


def publish(home: Path, url: str, name: str) -> None:
    """Copy the local store's index objects and live pointer of `home` into bucket and table `name`."""
    import boto3

    from thoth.shared.config import load_settings
    from thoth.shared.live import read_live, swap_live
    from thoth.shared.state import state_store
    from thoth.shared.storage import LocalObjectStore

    os.environ.update(FAKE_AWS)
    s3 = boto3.client("s3", endpoint_url=url, region_name="us-east-1")
    s3.create_bucket(Bucket=name)
    create_state_table(boto3.client("dynamodb", endpoint_url=url, region_name="us-east-1"), name)
    local = LocalObjectStore(home / "objects")
    for key in local.list("indexes/"):
        with local.open(key) as body:
            s3.upload_fileobj(body, name, key)
    pointer = read_live(state_store(load_settings({"THOTH_HOME": str(home)})), "handbook")
    assert pointer is not None, f"no live pointer in {home}"
    settings = load_settings({"THOTH_HOME": str(home), **aws_env(url, name)})
    swap_live(state_store(settings), pointer, None)


# --- the embedded AWS of the `local` environment: background processes, started or reused ---

REGISTRY_CONFIG = """version: 0.1
log:
  level: info
  accesslog:
    disabled: false
storage:
  filesystem:
    rootdirectory: {root}
  delete:
    enabled: true
http:
  addr: {addr}
"""


@dataclass(frozen=True)
class LocalAws:
    """Where the embedded AWS listens and what it recorded."""

    aws_endpoint: str
    registry: str
    moto_pid: int
    registry_pid: int
    recording: str
    registry_log: str

    def cli_env(self, region: str) -> dict[str, str]:
        """Environment that points the AWS CLI (and boto3) at the moto server with fake credentials."""
        return {
            **FAKE_CREDENTIALS,
            "AWS_ENDPOINT_URL": self.aws_endpoint,
            "AWS_DEFAULT_REGION": region,
            "AWS_REGION": region,
        }


def state_dir() -> Path:
    return thoth_home() / "local-aws"


def _free_port() -> int:
    with socket.socket() as sock:
        sock.bind(("127.0.0.1", 0))
        return int(sock.getsockname()[1])


def _responds(url: str) -> bool:
    try:
        with urllib.request.urlopen(url, timeout=2):
            return True
    except urllib.error.HTTPError:
        return True  # it answered, even if with an error status
    except (urllib.error.URLError, OSError):
        return False


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except OSError:
        return False
    return True


def _wait(url: str, proc: subprocess.Popen[bytes], what: str, log: Path) -> None:
    deadline = time.monotonic() + 30
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise DeployError(f"{what} exited at start (code {proc.returncode}); see {log}")
        if _responds(url):
            return
        time.sleep(0.1)
    proc.kill()
    raise DeployError(f"{what} did not answer on {url} within 30 s; see {log}")


def _tool(name: str, package: str) -> str:
    beside = Path(sys.executable).parent / name
    found = str(beside) if beside.exists() else shutil.which(name)
    if not found:
        raise DeployError(f"`{name}` is not installed; install {package} (see .ci/install-system-packages)")
    return found


def current() -> LocalAws | None:
    """The running embedded AWS recorded under THOTH_HOME/local-aws, if both servers still answer."""
    path = state_dir() / "endpoints.json"
    if not path.is_file():
        return None
    try:
        local = LocalAws(**json.loads(path.read_text()))
    except (ValueError, TypeError):
        return None
    alive = _alive(local.moto_pid) and _alive(local.registry_pid)
    if alive and _responds(local.aws_endpoint + "/moto-api/") and _responds(f"http://{local.registry}/v2/"):
        return local
    return None


def ensure() -> tuple[LocalAws, bool]:
    """Reuse the running embedded AWS or start a new one; returns it and whether it was started now."""
    running = current()
    if running:
        return running, False
    stop()
    directory = state_dir()
    directory.mkdir(parents=True, exist_ok=True)
    recording = directory / "recording.jsonl"
    recording.write_text("")
    moto_port, registry_port = _free_port(), _free_port()
    moto_log = directory / "moto.log"
    env = dict(os.environ, MOTO_ENABLE_RECORDING="true", MOTO_RECORDER_FILEPATH=str(recording))
    with moto_log.open("wb") as log:
        moto = subprocess.Popen(
            [_tool("moto_server", "moto[server] (dev lock)"), "-H", "127.0.0.1", "-p", str(moto_port)],
            stdout=log,
            stderr=subprocess.STDOUT,
            env=env,
            start_new_session=True,
        )
    endpoint = f"http://127.0.0.1:{moto_port}"
    _wait(endpoint + "/moto-api/", moto, "moto_server", moto_log)
    config = directory / "registry.yml"
    registry_root = directory / "registry"
    registry_root.mkdir(exist_ok=True)
    config.write_text(REGISTRY_CONFIG.format(root=registry_root, addr=f"127.0.0.1:{registry_port}"))
    registry_log = directory / "registry.log"
    with registry_log.open("wb") as log:
        registry = subprocess.Popen(
            [_tool("docker-registry", "the Debian package docker-registry"), "serve", str(config)],
            stdout=log,
            stderr=subprocess.STDOUT,
            start_new_session=True,
        )
    _wait(f"http://127.0.0.1:{registry_port}/v2/", registry, "docker-registry", registry_log)
    local = LocalAws(
        endpoint, f"127.0.0.1:{registry_port}", moto.pid, registry.pid, str(recording), str(registry_log)
    )
    (directory / "endpoints.json").write_text(json.dumps(asdict(local), indent=2))
    return local, True


def stop() -> bool:
    """Stop the servers this tooling started (by their recorded ids); True when something was stopped."""
    path = state_dir() / "endpoints.json"
    if not path.is_file():
        return False
    stopped = False
    try:
        recorded = json.loads(path.read_text())
    except ValueError:
        recorded = {}
    pids = [pid for pid in (recorded.get("moto_pid"), recorded.get("registry_pid")) if isinstance(pid, int)]
    for pid in pids:
        if _alive(pid):
            os.kill(pid, signal.SIGTERM)
            stopped = True
    deadline = time.monotonic() + 10
    while any(_alive(pid) for pid in pids) and time.monotonic() < deadline:
        time.sleep(0.1)
    for pid in pids:
        if _alive(pid):
            os.kill(pid, signal.SIGKILL)
    path.unlink()
    return stopped
