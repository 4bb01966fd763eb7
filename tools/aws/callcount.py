"""Count AWS API calls as the moto server saw them (its recorder), and pushes as the registry saw them."""

from __future__ import annotations

import json
import re
from collections import Counter
from dataclasses import dataclass
from pathlib import Path
from typing import Any

_SCOPE_RE = re.compile(r"Credential=[^/]+/\d+/[^/]+/(?P<service>[^/]+)/aws4_request")
_LAMBDA_ROUTES = (
    ("POST", re.compile(r"^/2015-03-31/functions/?$"), "CreateFunction"),
    ("PUT", re.compile(r"^/2015-03-31/functions/[^/]+/code$"), "UpdateFunctionCode"),
    ("PUT", re.compile(r"^/2015-03-31/functions/[^/]+/configuration$"), "UpdateFunctionConfiguration"),
    ("POST", re.compile(r"^/2015-03-31/functions/[^/]+/versions$"), "PublishVersion"),
    ("POST", re.compile(r"^/2015-03-31/functions/[^/]+/aliases$"), "CreateAlias"),
    ("PUT", re.compile(r"^/2015-03-31/functions/[^/]+/aliases/[^/]+$"), "UpdateAlias"),
    ("POST", re.compile(r"^/2018-10-31/layers/[^/]+/versions$"), "PublishLayerVersion"),
)
# The calls a no-op redeploy must never make.
CHANGING = frozenset(
    {
        "lambda:PublishLayerVersion",
        "lambda:PublishVersion",
        "lambda:UpdateFunctionCode",
        "lambda:UpdateFunctionConfiguration",
        "lambda:UpdateAlias",
        "ecr:PutImage",
        "s3:PUT",
    }
)


def operation(entry: dict[str, Any]) -> str:
    """`service:Operation` of one recorded request (method and path for REST calls it cannot name)."""
    headers = {k.lower(): v for k, v in entry.get("headers", {}).items()}
    scope = _SCOPE_RE.search(headers.get("authorization", ""))
    service = scope.group("service") if scope else "unknown"
    target = headers.get("x-amz-target")
    if target:
        return f"{service}:{target.rsplit('.', 1)[-1]}"
    url = str(entry.get("url", ""))
    path = re.sub(r"^https?://[^/]+", "", url).split("?", 1)[0]
    method = str(entry.get("method", "GET"))
    body = str(entry.get("body") or "")
    if not entry.get("body_encoded"):
        action = re.search(r"(?:^|&)Action=(\w+)", body)
        if action:
            return f"{service}:{action.group(1)}"
    if service == "lambda":
        for verb, route, name in _LAMBDA_ROUTES:
            if method == verb and route.match(path):
                return f"lambda:{name}"
    return f"{service}:{method}"


@dataclass
class ServerLog:
    """The moto recording and registry access log, read from a mark onwards."""

    recording: Path
    registry_log: Path | None = None

    def mark(self) -> tuple[int, int]:
        size = self.registry_log.stat().st_size if self.registry_log and self.registry_log.exists() else 0
        return (self.recording.stat().st_size if self.recording.exists() else 0, size)

    def since(self, mark: tuple[int, int]) -> Counter[str]:
        """Operations recorded after `mark`, counted; manifest pushes count as `registry:PushManifest`."""
        counts: Counter[str] = Counter()
        with self.recording.open("rb") as handle:
            handle.seek(mark[0])
            for line in handle:
                if line.strip():
                    counts[operation(json.loads(line))] += 1
        if self.registry_log and self.registry_log.exists():
            with self.registry_log.open("rb") as handle:
                handle.seek(mark[1])
                text = handle.read().decode(errors="replace")
            counts["registry:PushManifest"] += len(re.findall(r'"PUT /v2/[^ ]+/manifests/[^ ]+ HTTP', text))
            if not counts["registry:PushManifest"]:
                del counts["registry:PushManifest"]
        return counts


def changing_calls(counts: Counter[str]) -> int:
    """How many of `counts` publish, update or push something."""
    return sum(n for op, n in counts.items() if op in CHANGING or op == "registry:PushManifest")
