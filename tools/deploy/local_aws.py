"""The embedded AWS for `local`: a moto server and a docker-registry on 127.0.0.1, started or reused."""

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
from dataclasses import asdict, dataclass
from pathlib import Path

from tools.deploy.envs import thoth_home
from tools.deploy.errors import DeployError

FAKE_CREDENTIALS = {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing"}
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
