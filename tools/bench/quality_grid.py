"""Ranking variants on the TUNE splits only: `python -m tools.bench.quality_grid VARIANT...`.

Each VARIANT is `name:field=value,field=value` over `RankingConfig` fields (`default` alone: the
default). Prints per corpus and macro MRR@5 and R@1 of the tune split, and the p50 of
`ranking.search` per query. Held-back questions are never asked: choose here, judge with
`python -m tools.bench.quality`. The indexes must have been built by that bench first.
"""

from __future__ import annotations

import argparse
import dataclasses
import os
from pathlib import Path
from typing import Any

from tools.bench.quality import RankingTimer, ask, environment
from tools.bench.quality_corpora import CORPORA, WORK, corpora_dir
from tools.bench.quality_metrics import Scores, macro, percentile


def variant(spec: str) -> tuple[str, Any]:
    from thoth.mcp_server.search.fusion import RankingConfig

    name, _, settings = spec.partition(":")
    fields = {f.name: f.type for f in dataclasses.fields(RankingConfig)}
    values: dict[str, Any] = {}
    for pair in filter(None, settings.split(",")):
        key, _, raw = pair.partition("=")
        if key not in fields:
            raise SystemExit(f"unknown RankingConfig field {key!r}; choose from {', '.join(fields)}")
        kind = str(fields[key])
        if kind == "bool":
            values[key] = raw.lower() in ("1", "true", "yes")
        elif kind == "int":
            values[key] = int(raw)
        elif "Literal" in kind:
            values[key] = raw
        else:
            values[key] = None if raw == "none" else float(raw)
    return name, RankingConfig(**values)


Found = list[tuple[Any, list[Any]]]  # (corpus, its tune-split questions), corpora whose files are here


def tune_split(corpora: str | None, only: str | None, home: Path = WORK / "home") -> Found:
    """The tune-split questions of every corpus found (`only`: comma-separated names), with the
    process set up as the quality bench's (embedded defaults; weak-match floor 0; the indexes in
    `home`) and indexes warm."""
    folder = corpora_dir(corpora)
    environment(home)
    os.environ["THOTH_WEAK_MATCH_FLOOR"] = "0"
    wanted = only.split(",") if only else [c.name for c in CORPORA]
    found = [(c, [q for q in c.load() if q.split == "tune"]) for c in CORPORA if c.name in wanted]
    found = [(c, qs) for c, qs in found if c.locate(folder) is not None]
    for corpus, items in found:  # warm every index and the encoder before timing
        ask(corpus.source, items[0].query, {})
    return found


def header(found: Found) -> str:
    return f"{'variant':<24} " + " ".join(f"{c.name:>11}" for c, _ in found) + "  macro MRR  R@1   rank p50"


def score(name: str, found: Found, timer: RankingTimer) -> str:
    """One line: per corpus MRR@5/R@1 of the tune split as search_handbook answers now, macro, p50."""
    timer.spent.clear()
    rows = []
    for corpus, items in found:
        scores = Scores()
        for q in items:
            shown, weak, _, _ = ask(corpus.source, q.query, {})
            scores.add(q, shown, weak)
        rows.append({**scores.row(), "n": float(len(items))})
    cells = " ".join(f"{r['MRR@5']:.3f}/{r['R@1']:.2f}" for r in rows)
    return (
        f"{name:<24} {cells}  {macro(rows, 'MRR@5'):.4f}  {macro(rows, 'R@1'):.3f}  "
        f"{percentile(timer.spent, 0.5) * 1000:.2f} ms"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("variants", nargs="+", help="name:field=value,... (RankingConfig fields)")
    parser.add_argument("--corpora", help="folder holding the cloned 18F handbook and Docsy (README)")
    parser.add_argument("--only", help="comma-separated corpora (default: every one found)")
    args = parser.parse_args(argv)
    found = tune_split(args.corpora, args.only)
    from thoth.mcp_server.search import ranking

    print(header(found))
    with RankingTimer() as timer:
        for spec in args.variants:
            name, config = variant(spec)
            ranking.DEFAULT = config
            print(score(name, found, timer), flush=True)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
