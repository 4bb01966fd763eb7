"""Answer-quality evaluation: four corpora, real questions, the real search_handbook tool.

Run with `nox -s bench -- quality [--corpora=DIR] [--only=bun,18f] [--systems=...] [--misses=SYSTEM]`.
Each corpus (tools/bench/quality_corpora.py) is indexed once by the refresh pipeline with real
embeddings into build/bench-quality/ (re-runs find nothing changed: the refresh state keeps file
hashes and vectors by content hash), then every question goes through `protocol.dispatch.run_tool`
as a client's call would, scoped to its corpus. Three rankings side by side: today's (as on main
before this evaluation grew), plain reciprocal-rank fusion of this repository's BM25 and vectors
(RRF k=60, no page cap), and the default. Prints, per corpus and as the macro average, for the tune
and the held-back split: R@1, R@5 and MRR@5 over the distinct pages of the first five results, by
question style, the answer section shown or linked, and how often answers are flagged as weak
matches (real questions, and 20 off-topic queries). Asserts nothing.

`--misses` lists the tune split's misses of one system; the held-back split's per-question results
are never printed, so tuning cannot peek at them.
"""

from __future__ import annotations

import argparse
import dataclasses
import math
import os
import sys
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from tools.bench.quality_corpora import CORPORA, WORK, Corpus, check_questions, corpora_dir, offtopic
from tools.bench.quality_goals import goal_lines
from tools.bench.quality_metrics import (
    TOP,
    Linked,
    OffTopic,
    Question,
    Scores,
    macro,
    norm_heading,
    percentile,
)
from tools.paths import ENCODER, ROOT

SPLITS = ("tune", "held")


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- index --------------------------------------------------------------------------------------------


def environment(home: Path) -> None:
    """This process as a local MCP server would run: embedded defaults, no AWS, no secrets."""
    for key in list(os.environ):
        if key.startswith(("THOTH_", "AWS_", "S3_", "DYNAMODB_")):
            del os.environ[key]
    os.environ.update(
        THOTH_HOME=str(home),
        THOTH_ENCODER_DIR=str(ENCODER),
        THOTH_SECRETS_BACKEND="env",
        LOG_LEVEL="WARNING",
        HF_HUB_OFFLINE="1",
        TRANSFORMERS_OFFLINE="1",
    )


def ensure_encoder() -> None:
    import subprocess

    subprocess.run(
        [sys.executable, "-m", "tools.build.encoder_export", "--out", str(ENCODER)], cwd=ROOT, check=True
    )


def index(corpus: Corpus, root: Path, home: Path, embedder: Any, chunking: Any = None) -> None:
    """Refresh `corpus` into `home` with the real pipeline and embedder (a no-op when unchanged);
    `chunking`: ChunkSettings other than the default (tools/bench/quality_probe.py `chunks`)."""
    from thoth.refresh_service.__main__ import ProgressPrinter
    from thoth.refresh_service.pipeline import Refresher
    from thoth.refresh_service.runs import RunOptions, Services
    from thoth.refresh_service.sources.definitions import SourceConfig
    from thoth.shared.config import get_settings
    from thoth.shared.index import FORMAT_VERSION
    from thoth.shared.state import SqliteStateStore
    from thoth.shared.storage import LocalObjectStore

    services = Services(
        store=LocalObjectStore(home / "objects"),
        state=SqliteStateStore(home / "state.sqlite3"),
        embedder=embedder,
        settings=dataclasses.replace(get_settings(), cache_dir=home / "cache"),
    )
    if chunking is not None:
        services.chunking = chunking
    config = SourceConfig(corpus.source, "dir", str(root), include=corpus.include, base_url=corpus.base_url)
    began = time.perf_counter()
    # Unchanged files are not re-read, so a version of an older index format would stay live.
    marker = home / f"format-{corpus.source}"
    mode = "incremental" if marker.is_file() and marker.read_text() == str(FORMAT_VERSION) else "full"
    report = Refresher(config, services).run(RunOptions(mode=mode, progress=ProgressPrinter(10.0)))
    marker.write_text(str(FORMAT_VERSION))
    if report.status not in ("ok", "unchanged"):
        raise SystemExit(f"indexing {corpus.name} failed: {report.status}: {report.error}")
    log(f"  {corpus.name}: {report.summary()} ({time.perf_counter() - began:.1f}s)")


def check_sections(corpus: Corpus, items: list[Question]) -> None:
    """Warn about questions whose section is not a heading of their page as indexed (a data error,
    or a markup change): the section figure cannot count them."""
    from thoth.mcp_server.search.registry import registry

    prepared = registry().serving(corpus.source)[0].prepared
    unknown = []
    for q in items:
        if not q.section:
            continue
        headings = {norm_heading(h) for c in prepared.page(q.pages[0]) for h in c.heading_path}
        if norm_heading(q.section) not in headings:
            unknown.append(f"{q.id} {q.section!r}")
    if unknown:
        log(
            f"  {corpus.name}: {len(unknown)} section(s) not among their page's headings: "
            + "; ".join(unknown)
        )


# -- systems ---------------------------------------------------------------------------------------------


@dataclass(frozen=True)
class System:
    """A ranking as search_handbook runs it: a RankingConfig and extra tool arguments."""

    name: str
    config: Any
    extra: dict[str, Any] = field(default_factory=dict)
    flags: bool = True  # whether this system says "nothing matches well" (main did not)


def systems() -> dict[str, System]:
    from thoth.mcp_server.search.fusion import PLAIN_RRF, RankingConfig

    # Main's default before this evaluation covered more than one genre (README "Answer quality").
    main = RankingConfig(
        fusion="convex",
        keyword_weight=0.5,
        head_weight=1.0,
        page_weight=0.35,
        per_page=1,
        script_aware=False,
        coverage_weight=0.0,
        identifier_keyword_weight=None,
    )
    return {
        s.name: s
        for s in (
            System("main", main, flags=False),
            System("plain RRF", PLAIN_RRF, {"spread_pages": False}, flags=False),
            System("default", RankingConfig()),
        )
    }


# -- evaluation ------------------------------------------------------------------------------------------


@dataclass
class Result:
    """One system on one corpus: scores by (split, style), off-topic flags by split, latencies."""

    groups: dict[tuple[str, str], Scores] = field(default_factory=dict)
    off: dict[str, Scores] = field(default_factory=dict)
    seconds: list[float] = field(default_factory=list)
    ranking: list[float] = field(default_factory=list)  # ranking.search's share of each call
    misses: list[str] = field(default_factory=list)
    matches: list[tuple[str, bool, float]] = field(default_factory=list)  # (split, off-topic?, best match)


def ask(source: str, query: str, extra: dict[str, Any]) -> tuple[list[Linked], bool, float, float]:
    """The default answer to `query` on `source`: (results with linked sections, weak?, the best
    result's match measure, seconds)."""
    from thoth.mcp_server.protocol.dispatch import run_tool
    from thoth.mcp_server.protocol.tools import NO_DEADLINE
    from thoth.mcp_server.search.catalog import CATALOG

    began = time.perf_counter()
    out = run_tool(CATALOG, "search_handbook", {"query": query, "source": source, **extra}, NO_DEADLINE)
    elapsed = time.perf_counter() - began
    if out.is_error:
        raise SystemExit(f"search_handbook failed on {query!r}: {out.text}")
    structured = out.structured or {}
    shown: list[Linked] = [
        (r["path"], r["heading_path"], [m["heading"] for m in r["more_sections"]])
        for r in structured.get("results", [])
    ]
    best = max((r.get("match", 0.0) for r in structured.get("results", [])), default=0.0)
    return shown, bool(structured.get("weak")), best, elapsed


def evaluate(
    corpus: Corpus, items: list[Question], offs: list[OffTopic], system: System, floor: str = ""
) -> Result:
    """`system`'s default answers to the corpus's questions and to the off-topic queries; `floor`
    is THOTH_WEAK_MATCH_FLOOR for a system that flags weak answers ("": the setting's default)."""
    from thoth.mcp_server.search import ranking

    ranking.DEFAULT = system.config
    result = Result()
    with RankingTimer(result.ranking):
        return _evaluate(corpus, items, offs, system, floor, result)


class RankingTimer:
    """Times every `ranking.search` call inside its `with` block into `spent` (ranking.search is
    restored on leaving), so a figure is the ranking's own share of a tool call."""

    def __init__(self, spent: list[float] | None = None) -> None:
        self.spent: list[float] = [] if spent is None else spent
        self._real: Any = None

    def __enter__(self) -> RankingTimer:
        from thoth.mcp_server.search import ranking

        self._real = real = ranking.search

        def timed(*args: Any, **kwargs: Any) -> Any:
            began = time.perf_counter()
            try:
                return real(*args, **kwargs)
            finally:
                self.spent.append(time.perf_counter() - began)

        ranking.search = timed
        return self

    def __exit__(self, *exc: object) -> None:
        from thoth.mcp_server.search import ranking

        ranking.search = self._real


def _evaluate(
    corpus: Corpus, items: list[Question], offs: list[OffTopic], system: System, floor: str, result: Result
) -> Result:
    # A system that did not flag weak answers (main, plain RRF) shows every result, as it did.
    os.environ["THOTH_WEAK_MATCH_FLOOR"] = floor if system.flags else "0"
    for q in items:
        shown, weak, best, seconds = ask(corpus.source, q.query, system.extra)
        result.matches.append((q.split, False, best))
        for key in ((q.split, q.style), (q.split, "all")):
            result.groups.setdefault(key, Scores()).add(q, shown, weak)
        result.seconds.append(seconds)
        if q.split == "tune" and q.pages[0] not in [p for p, _, _ in shown[:1]]:
            got = ", ".join(p for p, _, _ in shown[:3])
            result.misses.append(
                f"{corpus.name} {q.id} [{q.style}] {q.query!r}: wanted {q.pages[0]}; got {got}"
            )
    for o in offs:
        _, weak, best, _ = ask(corpus.source, o.query, system.extra)
        result.matches.append((o.split, True, best))
        result.off.setdefault(o.split, Scores()).flagged += weak
        result.off[o.split].n += 1
    return result


# -- report ----------------------------------------------------------------------------------------------


def cell(value: float, width: int = 5) -> str:
    return "-".rjust(width) if math.isnan(value) else f"{value:{width}.2f}"


HEADER = (
    f"{'corpus':<6} {'system':<10} {'n':>3} {'R@1':>5} {'R@5':>5} {'MRR@5':>5} | {'nat n':>5} {'R@1':>5} "
    f"{'R@5':>5} | {'kw/ph n':>7} {'R@1':>5} {'R@5':>5} | {'sect@5':>6} | {'weak: real':>10} {'off-topic':>9}"
)


def row(split: str, result: Result, system: System) -> dict[str, float]:
    """The figures of one table row (NaN where a group is empty or the system does not flag)."""
    nan = math.nan
    empty = {"n": 0.0, "R@1": nan, "R@5": nan, "MRR@5": nan, "sect@5": nan, "flagged": nan}
    every = result.groups.get((split, "all"), Scores()).row() if (split, "all") in result.groups else empty
    nat = result.groups[(split, "natural")].row() if (split, "natural") in result.groups else empty
    other = next(
        (result.groups[(split, s)].row() for s in ("keyword", "phrase") if (split, s) in result.groups), empty
    )
    off = result.off[split].row()["flagged"] if split in result.off and system.flags else nan
    return {
        "n": every["n"],
        "R@1": every["R@1"],
        "R@5": every["R@5"],
        "MRR@5": every["MRR@5"],
        "nat n": nat["n"],
        "nat R@1": nat["R@1"],
        "nat R@5": nat["R@5"],
        "kw n": other["n"],
        "kw R@1": other["R@1"],
        "kw R@5": other["R@5"],
        "sect@5": every["sect@5"],
        "real flagged": every["flagged"] if system.flags else nan,
        "off flagged": off,
    }


def line(corpus: str, name: str, r: dict[str, float]) -> str:
    every = f"{r['n']:>3.0f} {cell(r['R@1'])} {cell(r['R@5'])} {cell(r['MRR@5'])}"
    natural = f"{r['nat n']:>5.0f} {cell(r['nat R@1'])} {cell(r['nat R@5'])}"
    keyword = f"{r['kw n']:>7.0f} {cell(r['kw R@1'])} {cell(r['kw R@5'])}"
    weak = f"{cell(r['real flagged'], 10)} {cell(r['off flagged'], 9)}"
    return f"{corpus:<6} {name:<10} {every} | {natural} | {keyword} | {cell(r['sect@5'], 6)} | {weak}"


def table(split: str, results: dict[str, dict[str, Result]], chosen: dict[str, System]) -> str:
    out = [HEADER]
    per_system: dict[str, list[dict[str, float]]] = {name: [] for name in chosen}
    for corpus, by_system in results.items():
        for name, result in by_system.items():
            r = row(split, result, chosen[name])
            per_system[name].append(r)
            out.append(line(corpus, name, r))
    for name, rows in per_system.items():
        avg = {
            k: macro([{**r, "n": r["n"]} for r in rows], k)
            for k in rows[0]
            if k not in ("n", "nat n", "kw n")
        }
        sums = {k: sum(r[k] for r in rows) for k in ("n", "nat n", "kw n")}
        out.append(line("macro", name, {**avg, **sums}))
    return "\n".join(out)


def calibrate(results: dict[str, dict[str, Result]], system: str) -> str:
    """The best-match measure of real and off-topic queries on the tune split, and the floors that
    flag at least 90% of off-topic queries and under 10% of real questions (pooled over corpora)."""
    lines = [f"{system}: best match measure on the tune split (p5 / p50 / max, or min for real questions)"]
    pooled: dict[bool, list[float]] = {False: [], True: []}
    for corpus, by_system in results.items():
        tune = [(o, m) for s, o, m in by_system[system].matches if s == "tune"]
        real = sorted(m for o, m in tune if not o)
        off = sorted(m for o, m in tune if o)
        pooled[False] += real
        pooled[True] += off
        lines.append(
            f"  {corpus:<6} real {percentile(real, 0.05):.2f} / {percentile(real, 0.5):.2f} "
            f"(min {real[0]:.2f}), off-topic {percentile(off, 0.05):.2f} / {percentile(off, 0.5):.2f} "
            f"/ {off[-1]:.2f}"
        )
    floors = [f / 100 for f in range(1, 100)]
    ok = [
        f
        for f in floors
        if sum(m < f for m in pooled[True]) >= 0.9 * len(pooled[True])
        and sum(m < f for m in pooled[False]) < 0.1 * len(pooled[False])
    ]
    band = f"{ok[0]:.2f}..{ok[-1]:.2f}" if ok else "none"
    lines.append(f"  floors meeting both goals on the tune split: {band}")
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--corpora", help="folder holding the cloned 18F handbook and Docsy (README)")
    parser.add_argument(
        "--only", help="comma-separated corpora (default: every one found): bun,18f,docsy,cjk"
    )
    parser.add_argument("--systems", help="comma-separated systems (default: main,plain RRF,default)")
    parser.add_argument("--misses", metavar="SYSTEM", help="list that system's tune-split misses at rank 1")
    parser.add_argument(
        "--splits", default="tune,held", help="tables to print (print only tune while tuning)"
    )
    parser.add_argument(
        "--floor", default="", help="THOTH_WEAK_MATCH_FLOOR for the default (else its default)"
    )
    args = parser.parse_args(argv)
    began = time.perf_counter()
    folder = corpora_dir(args.corpora)  # before `environment` clears THOTH_* (THOTH_BENCH_CORPORA)
    home = WORK / "home"
    WORK.mkdir(parents=True, exist_ok=True)
    environment(home)
    wanted = args.only.split(",") if args.only else [c.name for c in CORPORA]
    unknown = sorted(set(wanted) - {c.name for c in CORPORA})
    if unknown:
        raise SystemExit(f"unknown corpus {unknown}; choose from {', '.join(c.name for c in CORPORA)}")
    found: list[tuple[Corpus, Path, list[Question]]] = []
    for corpus in (c for c in CORPORA if c.name in wanted):
        root = corpus.locate(folder)
        if root is None:
            where = folder or f"{os.environ.get('THOTH_BENCH_CORPORA') or '../shared/corpora (absent)'}"
            log(
                f"quality: skipping {corpus.name} ({corpus.title}): not found under {where}; {corpus.missing}"
            )
            continue
        items = corpus.load()
        check_questions(root, items)
        found.append((corpus, root, items))
    if not found:
        raise SystemExit("quality: no corpus to evaluate")
    ensure_encoder()
    from thoth.refresh_service.embed import SentenceTransformerEmbedder

    embedder = SentenceTransformerEmbedder()
    log("quality: indexing (incremental: unchanged pages are not embedded again)")
    for corpus, root, _ in found:
        index(corpus, root, home, embedder)
    for corpus, _, items in found:
        check_sections(corpus, items)
    chosen = systems()
    if args.systems:
        names = args.systems.split(",")
        if set(names) - set(chosen):
            raise SystemExit(
                f"unknown system(s) {sorted(set(names) - set(chosen))}; choose from {', '.join(chosen)}"
            )
        chosen = {n: chosen[n] for n in names}
    offs = offtopic()
    results: dict[str, dict[str, Result]] = {}
    for corpus, _, items in found:
        results[corpus.name] = {
            name: evaluate(corpus, items, offs, s, args.floor) for name, s in chosen.items()
        }
        log(f"  {corpus.name}: {len(items)} questions + {len(offs)} off-topic, {len(chosen)} systems")
    print("\nquality: " + "; ".join(f"{c.name} = {c.title}, {len(i)} questions" for c, _, i in found))
    print(
        f"figures over the distinct pages of the first {TOP} results; 'kw/ph' = keyword questions "
        "(phrase queries for cjk); sect@5 = answer section shown or linked; weak = share flagged as no "
        f"good match (real questions, and {len(offs) // 2}-odd off-topic queries per split)"
    )
    for split in [s for s in SPLITS if s in args.splits.split(",")]:
        print(f"\n[{split} split]")
        print(table(split, results, chosen))
    if "default" in chosen:
        print("\n" + calibrate(results, "default"))
    if "default" in chosen and "held" in args.splits.split(","):
        default = {c: row("held", r["default"], chosen["default"]) for c, r in results.items()}
        plain = {
            c: row("held", r["plain RRF"], chosen["plain RRF"])
            for c, r in results.items()
            if "plain RRF" in r
        }
        print("\n" + "\n".join(goal_lines(default, plain)))
    if args.misses:
        print(f"\n{args.misses}: tune-split questions whose first page is not an answer page")
        print("\n".join(m for r in results.values() for m in r[args.misses].misses) or "none")
    latency = ", ".join(
        f"{n} {percentile([t for r in results.values() for t in r[n].seconds], 0.5) * 1000:.1f} ms"
        for n in chosen
    )
    ranked = ", ".join(
        f"{n} {percentile([t for r in results.values() for t in r[n].ranking], 0.5) * 1000:.2f} ms"
        for n in chosen
    )
    print(f"\np50 of a default search_handbook call (load avg {os.getloadavg()[0]:.1f}): {latency}")
    print(f"p50 of its ranking (ranking.search, the query already embedded): {ranked}")
    print(f"quality: done in {time.perf_counter() - began:.0f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
