"""Run as `python -S -B -c <this file>` with PYTHONPATH = the unzipped artifacts (see import_smoke.py): import
everything the layer ships, then embed and search.

argv[1] is a JSON file: {"expected": [{"name", "version"}], "layer": dir}.
Prints one JSON line with what it checked; exits non-zero with the reason on the first failure.
"""

import json
import os
import sys
from typing import Any, NoReturn


def fail(message: str) -> NoReturn:
    print(json.dumps({"ok": False, "error": message}))
    sys.exit(1)


def main() -> None:
    with open(sys.argv[1]) as handle:
        config = json.load(handle)
    import importlib
    import importlib.metadata as metadata

    imported = []
    for dist in metadata.distributions(path=[config["layer"]]):
        name = dist.metadata["Name"]
        tops = (dist.read_text("top_level.txt") or "").split()
        if not tops:
            tops = sorted({str(f).split("/")[0].removesuffix(".py") for f in dist.files or []})
        for top in tops:
            if not top.isidentifier() or top.endswith(".dist-info"):
                continue
            try:
                importlib.import_module(top)
            except Exception as exc:
                fail(f"import {top} (from {name}) failed: {type(exc).__name__}: {exc}")
            imported.append(top)
    versions = {}
    for item in config["expected"]:
        try:
            versions[item["name"]] = metadata.version(item["name"])
        except metadata.PackageNotFoundError:
            fail(f"importlib.metadata cannot find {item['name']}")
        if versions[item["name"]] != item["version"]:
            fail(f"{item['name']} reports {versions[item['name']]}, the lock pins {item['version']}")
    python = ".".join(map(str, sys.version_info[:3]))
    result = {"ok": True, "imported": sorted(imported), "versions": versions, "python": python}
    result.update(search_roundtrip())
    print(json.dumps(result))


def publish_sample_index(source: str) -> bool:
    """A three-chunk live index of `source`, embedded with the real query encoder; False if not published."""
    from datetime import UTC, datetime

    import numpy as np

    from thoth.mcp_server.search import encoder
    from thoth.shared.index import Chunk, LivePointer, ModelInfo, swap_live, write_version
    from thoth.shared.state import state_store
    from thoth.shared.storage import object_store

    texts = {
        "time-off.md": (
            "Time off",
            "To request vacation days, submit a paid time off request to your manager.",
        ),
        "oncall.md": (
            "On-call",
            "The incident on-call rotation pages the engineer of the week through PagerDuty.",
        ),
        "expenses.md": ("Expenses", "Travel and conference expenses are reimbursed after you file receipts."),
    }
    enc = encoder.get_encoder()
    info = encoder.info()
    chunks = []
    for index, (path, (title, text)) in enumerate(sorted(texts.items())):
        chunks.append(
            Chunk(
                id=f"{source}-{index}",
                source=source,
                path=path,
                title=title,
                heading_path=[title],
                url=f"https://example.invalid/{path}",
                line_start=1,
                line_end=2,
                text=text,
                content_hash=f"h{index}",
            )
        )
    vectors = np.stack([enc.encode(chunk.text) for chunk in chunks])
    model = ModelInfo(id=info.model_id, dimension=info.dimension, fingerprint=info.fingerprint)
    write_version(
        object_store(), source, "v1", chunks, vectors, model=model, commit=None, builder_version=source
    )
    pointer = LivePointer(
        source=source,
        version="v1",
        commit=None,
        created_at=datetime.now(UTC).isoformat(),
        chunk_count=len(chunks),
        fingerprint=info.fingerprint,
    )
    return swap_live(state_store(), pointer, None) is not None


def search_roundtrip() -> dict[str, Any]:
    if not publish_sample_index("smoke"):
        fail("could not publish the smoke index")
    from thoth.mcp_server.lambda_handler import handler

    event = {
        "version": "2.0",
        "rawPath": "/health",
        "rawQueryString": "",
        "headers": {"host": "localhost"},
        "requestContext": {"http": {"method": "GET", "path": "/health", "sourceIp": "127.0.0.1"}},
        "isBase64Encoded": False,
    }
    health = handler(event, None)
    if health.get("statusCode") != 200:
        fail(f"GET /health answered {health.get('statusCode')}: {health.get('body')}")
    from thoth.mcp_server.lambda_handler import call_tool

    output = call_tool("search_handbook", {"query": "how do I ask for vacation"})
    if output.is_error:
        fail(f"search_handbook failed: {output.text}")
    text = json.dumps(output.structured) if output.structured else output.text
    first = text.find("time-off.md")
    if first < 0 or any(0 <= text.find(other) < first for other in ("oncall.md", "expenses.md")):
        fail(f"search_handbook did not rank time-off.md first: {text[:400]}")
    return {"health": json.loads(health["body"]).get("status"), "search_top": "time-off.md"}


if __name__ == "__main__":
    os.environ.setdefault("HF_HUB_OFFLINE", "1")
    main()
