"""The "did you mean" hint of get_handbook_section on a missed path: every page vs the capped set.

Usage: python -m tools.bench.hint [--pages 5000] [--runs 7]
Prints medians for a typo'd path and for the longest path the schema allows, both ways, and
their ratio; nothing is asserted.
"""

from __future__ import annotations

import argparse
import difflib
import random
import statistics
import time
from collections.abc import Callable

from thoth.mcp_server.search.section import MAX_HINT_CANDIDATES, close_paths
from thoth.mcp_server.search.specs import MAX_PATH_CHARS

SECTIONS = ("engineering", "people-group", "security", "finance", "marketing", "product", "support")
WORDS = ("infrastructure", "team", "reliability", "on-call", "handbook", "onboarding", "runbooks", "policy")


def handbook_paths(n: int, seed: int = 12) -> list[str]:
    """GitLab-handbook-shaped paths: content/handbook/<section>/<2-4 levels>/<page>.md."""
    rng = random.Random(seed)
    paths: set[str] = set()
    while len(paths) < n:
        depth = rng.randint(1, 3)
        parts = [rng.choice(SECTIONS)] + [f"{rng.choice(WORDS)}-{rng.randint(0, 40)}" for _ in range(depth)]
        page = "_index" if rng.random() < 0.3 else f"{rng.choice(WORDS)}-{rng.randint(0, 999)}"
        paths.add("content/handbook/" + "/".join(parts) + f"/{page}.md")
    return sorted(paths)


def _median_s(fn: Callable[[], object], runs: int) -> float:
    times = []
    for _ in range(runs):
        start = time.process_time()
        fn()
        times.append(time.process_time() - start)
    return statistics.median(times)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--pages", type=int, default=5000)
    parser.add_argument("--runs", type=int, default=7)
    args = parser.parse_args(argv)
    pages = handbook_paths(args.pages)
    typo = pages[len(pages) // 2].replace("handbook", "handbok", 1)
    longest = "x/" * (MAX_PATH_CHARS // 2)
    print(f"did-you-mean over {len(pages)} pages (CPU, median of {args.runs}; cap {MAX_HINT_CANDIDATES})")
    for label, path in (("typo in a directory", typo), (f"{len(longest)}-char path", longest)):
        before = _median_s(lambda p=path: difflib.get_close_matches(p, pages, n=3, cutoff=0.6), args.runs)  # type: ignore[misc]
        after = _median_s(lambda p=path: close_paths(p, pages), args.runs)  # type: ignore[misc]
        print(f"  {label:22} every page {before * 1000:8.1f} ms | capped {after * 1000:7.2f} ms | "
              f"{before / max(after, 1e-9):6.0f}x less")  # fmt: skip
    print(f"  hint for the typo: {close_paths(typo, pages)}")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
