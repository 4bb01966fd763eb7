"""A minimal real OCI image built with buildah from scratch: the push/pull-by-digest stand-in when the
full refresh image (torch, minutes to build) is not built; tests and the deploy benchmark use it."""

from __future__ import annotations

import json
import subprocess
import tempfile
from pathlib import Path

from tools.aws.errors import DeployError

NAME = "localhost/thoth-refresh-scratch"


def _buildah(*args: str) -> str:
    proc = subprocess.run(["buildah", *args], capture_output=True, text=True, check=False)
    if proc.returncode != 0:
        raise DeployError(f"buildah {args[0]} failed: {proc.stderr.strip()[-400:]}; install buildah")
    return proc.stdout.strip()


def build(out: Path, marker: str) -> Path:
    """Build an image holding one file with `marker`, content-tagged; write container.json to `out`."""
    container = _buildah("from", "scratch")
    try:
        with tempfile.TemporaryDirectory() as tmp:
            payload = Path(tmp) / "marker.txt"
            payload.write_text(marker + "\n")
            _buildah("copy", container, str(payload), "/marker.txt")
        _buildah(
            "config",
            "--cmd",
            '["thoth.refresh_service.handler.handler"]',
            "--label",
            "org.thoth.role=refresh-service-standin",
            container,
        )
        image_id = _buildah(
            "commit", "--quiet", "--timestamp", "0", container, f"{NAME}:building"
        ).splitlines()[-1]
    finally:
        subprocess.run(["buildah", "rm", container], capture_output=True, check=False)
    tag = f"scratch-{image_id.removeprefix('sha256:')[:16]}"
    _buildah("tag", f"{NAME}:building", f"{NAME}:{tag}")
    out.parent.mkdir(parents=True, exist_ok=True)
    out.write_text(
        json.dumps(
            {
                "reference": f"{NAME}:{tag}",
                "tag": tag,
                "image_id": image_id,
                "builder": "buildah from scratch (stand-in for the refresh image)",
            },
            indent=2,
        )
    )
    return out


if __name__ == "__main__":
    import sys

    print(build(Path(sys.argv[1]), sys.argv[2]))
