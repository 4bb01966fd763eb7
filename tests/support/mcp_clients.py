"""Shared e2e pieces: a real index of samples/handbook, the encoder, and SDK client helpers."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import AsyncIterator
from contextlib import asynccontextmanager
from pathlib import Path
from typing import Any

REPO = Path(__file__).resolve().parents[2]
KEY = "e2e-key-0123456789abcdefghij"


class MemoryTokens:
    """TokenStorage in memory (the SDK's interface)."""

    def __init__(self) -> None:
        self.tokens: Any = None
        self.client: Any = None

    async def get_tokens(self) -> Any:
        return self.tokens

    async def set_tokens(self, tokens: Any) -> None:
        self.tokens = tokens

    async def get_client_info(self) -> Any:
        return self.client

    async def set_client_info(self, client_info: Any) -> None:
        self.client = client_info


def offline_env(home: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items() if not k.startswith("THOTH_")}
    env.update({"THOTH_HOME": str(home), "HF_HUB_OFFLINE": "1", "TRANSFORMERS_OFFLINE": "1", **extra})
    return env


def build_index(home: Path, *options: str) -> dict[str, Any]:
    """Index samples/handbook with the refresh CLI into `home` (and build the encoder if it is missing);
    `options` go to the refresh CLI, e.g. "--base-url", "https://handbook.example.com/"."""
    import json

    env = offline_env(home)
    subprocess.run([sys.executable, "-m", "tools.build.encoder_export"], env=env, check=True, cwd=REPO)
    done = subprocess.run(
        [
            sys.executable,
            "-m",
            "thoth.refresh_service",
            "samples/handbook",
            "--name",
            "handbook",
            *options,
            "--json",
        ],
        env=env,
        cwd=REPO,
        capture_output=True,
        text=True,
        check=True,
    )
    report: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    assert report["status"] == "ok", report
    return report


@asynccontextmanager
async def sdk_client(url: str, mode: str, key: str | None = KEY) -> AsyncIterator[Any]:
    """An official-SDK `Client` over Streamable HTTP, sending the API key as a bearer token."""
    import httpx2
    from mcp.client import Client
    from mcp.client.streamable_http import streamable_http_client

    headers = {"authorization": f"Bearer {key}"} if key else {}
    async with (
        httpx2.AsyncClient(headers=headers, timeout=httpx2.Timeout(30.0, read=60.0)) as http,
        Client(streamable_http_client(f"{url}/mcp", http_client=http), mode=mode) as client,
    ):
        yield client
