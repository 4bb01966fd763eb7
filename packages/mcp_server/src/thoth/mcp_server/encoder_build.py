"""Local runs from a source checkout (`serve`, `stdio`): build the query encoder when it is missing.

A new user runs `nox -s refresh` then `nox -s serve`; without this every search would fail
with "no query encoder found". The build is the repository's own exporter
(`python -m tools.build.encoder_export`, cached: it skips when up to date), started in the
background when the server starts and awaited by the first search for a bounded time. Never
installed on Lambda, where the encoder ships as a layer.
"""

from __future__ import annotations

import logging
import subprocess
import sys
import threading
import time
from pathlib import Path
from typing import Final

from thoth.mcp_server.settings import ENCODER_CHECKOUT_DIR
from thoth.shared.errors import ConfigError

REPO_ROOT: Final = ENCODER_CHECKOUT_DIR.parents[1]
EXPORTER: Final = REPO_ROOT / "tools" / "build" / "encoder_export.py"
# A first search waits this long for a running build: within the 25 s request budget, with room left.
WAIT_S: Final = 15.0

log = logging.getLogger("thoth.mcp_server.encoder_build")


def in_checkout() -> bool:
    """True when this package runs from a source checkout that holds the exporter."""
    return EXPORTER.is_file()


class EncoderBuilder:
    """Builds the encoder into one directory at most once per process; callers wait a bounded time."""

    def __init__(self, wait_s: float = WAIT_S, root: Path = REPO_ROOT) -> None:
        self.wait_s = wait_s
        self.root = root
        self._lock = threading.Lock()
        self._done = threading.Event()
        self._thread: threading.Thread | None = None
        self._started = 0.0
        self._failure: str | None = None
        self._target: Path | None = None
        self._process: subprocess.Popen[bytes] | None = None

    def start(self, target: Path) -> None:
        """Begin building into `target` unless a build already runs (or ran) in this process."""
        with self._lock:
            if self._thread is not None:
                return
            self._target, self._started = target, time.monotonic()
            self._thread = threading.Thread(target=self._build, name="thoth-encoder-build", daemon=True)
            self._thread.start()
        log.warning(
            "no query encoder yet: building it into %s (first run of this checkout, about a minute)", target
        )

    def _build(self) -> None:
        command = [sys.executable, "-m", "tools.build.encoder_export", "--out", str(self._target)]
        try:
            # Both streams go to fd 2: over stdio, stdout belongs to the protocol alone.
            with self._lock:
                self._process = subprocess.Popen(command, cwd=self.root, stdout=2, stderr=2)
            code = self._process.wait()
            if code != 0:
                self._failure = f"python -m tools.build.encoder_export exited with {code}"
        except OSError as exc:
            self._failure = f"cannot run the encoder export ({exc.strerror})"
        if self._failure:
            log.error("query encoder build failed: %s", self._failure)
        else:
            log.info("query encoder built", extra={"seconds": round(time.monotonic() - self._started, 1)})
        self._done.set()

    def stop(self) -> None:
        """End a build still running when the server stops (the next start builds again)."""
        with self._lock:
            process = self._process
        if process is not None and process.poll() is None:
            process.terminate()
            try:
                process.wait(timeout=10)
            except subprocess.TimeoutExpired:
                process.kill()
                process.wait()
            log.warning("stopped the unfinished query encoder build; the next start resumes it")

    def __call__(self, target: Path, wait: bool) -> None:
        """Return once `target` is built; ConfigError saying how far along the build is otherwise."""
        self.start(target)
        if not self._done.wait(self.wait_s if wait else 0.0):
            raise ConfigError(
                f"the query encoder is being built into {target} (first run of this checkout; started "
                f"{time.monotonic() - self._started:.0f} s ago, about a minute in all); retry shortly"
            )
        if self._failure:
            raise ConfigError(
                f"building the query encoder failed ({self._failure}); run `nox -s build_encoder` to see why"
            )
