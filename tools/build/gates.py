"""Lambda's hard limits, checked before anything talks to AWS."""

from __future__ import annotations

from dataclasses import dataclass

from tools.build.errors import PackagingError

UNZIPPED_BUDGET = 262_144_000  # function + all layers
MAX_LAYERS = 5
DIRECT_UPLOAD = 50 * 1024 * 1024  # larger zips go through S3


@dataclass(frozen=True)
class Artifact:
    name: str
    kind: str  # "function" or "layer"
    zip_bytes: int
    unzipped_bytes: int


def check(
    artifacts: list[Artifact], budget: int = UNZIPPED_BUDGET, max_layers: int = MAX_LAYERS
) -> list[str]:
    """Raise when over a limit; return the names of zips that must be uploaded through S3."""
    if budget <= 0:
        raise PackagingError(f"unzipped budget {budget} is not positive", "pass a byte count, e.g. 262144000")
    layers = [a for a in artifacts if a.kind == "layer"]
    if len(layers) > max_layers:
        raise PackagingError(
            f"{len(layers)} layers ({', '.join(a.name for a in layers)}) exceed Lambda's limit"
            f" of {max_layers}",
            "merge layers or move dependencies into the function zip",
        )
    total = sum(a.unzipped_bytes for a in artifacts)
    if total > budget:
        parts = ", ".join(
            f"{a.name} {a.unzipped_bytes:,}" for a in sorted(artifacts, key=lambda a: -a.unzipped_bytes)
        )
        raise PackagingError(
            f"function + layers unzip to {total:,} bytes, over the {budget:,}-byte budget ({parts})",
            "trim or drop dependencies (see the layer manifest's per-distribution bytes)"
            " or ship a container image",
        )
    return [a.name for a in artifacts if a.zip_bytes > DIRECT_UPLOAD]
