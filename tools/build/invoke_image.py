"""Run a built image's handler once (like a Lambda invoke) and return its JSON result."""

from __future__ import annotations

import json
import subprocess
from pathlib import Path
from typing import Any

from tools.build.errors import PackagingError
from tools.build.refresh_image import Tool, offline_prefix


def invoke(
    tool: Tool,
    reference: str,
    event: dict[str, Any],
    *,
    env: dict[str, str] | None = None,
    mounts: dict[Path, str] | None = None,
    timeout: float = 600.0,
) -> tuple[dict[str, Any], str]:
    """(result, log) of one handler call inside a fresh container of `reference` (CMD is the handler)."""
    if tool.name != "buildah":
        raise PackagingError(f"running images is implemented for buildah, not {tool.name}", "install buildah")
    container = tool.run(["from", "--pull=false", reference]).strip()
    try:
        config = json.loads(tool.run(["inspect", "--type", "container", container]))
        oci = config.get("OCIv1", {}).get("config", {})
        command = [*(oci.get("Entrypoint") or []), *(oci.get("Cmd") or [])]
        args = ["run", "--isolation", "chroot", "--user", oci.get("User") or "0"]
        for key, value in {**(env or {}), "LAMBDA_EVENT_FILE": "/tmp/thoth-event.json"}.items():
            args += ["--env", f"{key}={value}"]
        for host, inside in (mounts or {}).items():
            args += ["--volume", f"{host}:{inside}:ro"]
        # The event goes in through a file under /tmp (the only path a Lambda may write).
        script = "cat > /tmp/thoth-event.json && exec " + " ".join(f"'{part}'" for part in command)
        proc = subprocess.run(
            # Offline like the build: chroot isolation shares the host network, so unshare it.
            [*offline_prefix(tool), *tool.base, *args, container, "--", "/bin/sh", "-c", script],
            input=json.dumps(event),
            capture_output=True,
            text=True,
            timeout=timeout,
        )
    finally:
        tool.run(["rm", container], check=False)
    lines = proc.stdout.strip().splitlines()
    try:
        result: dict[str, Any] = json.loads(lines[-1]) if lines else {}
    except ValueError:
        result = {}
    if proc.returncode != 0 or not result:
        raise PackagingError(
            f"the handler in {reference} failed (exit {proc.returncode}): "
            f"{(proc.stderr + proc.stdout).strip()[-1500:]}",
            "see the traceback above",
        )
    return result, proc.stderr
