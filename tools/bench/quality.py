"""Answer-quality evaluation: real documentation, real questions, the real search_handbook tool.

Run with `nox -s bench -- quality [--variants a,b] [--tune] [--misses VARIANT]`. The corpus is the
documentation that npm's bun-types 1.4.4 ships (MIT; the tarball is checked in, verified against the
registry's sha512). It is indexed once by the refresh pipeline with real embeddings (re-runs find
nothing changed: the refresh state keeps file hashes and vectors by content hash), then every question
of tests/data/quality/questions.jsonl goes through `protocol.dispatch.run_tool` as a client's call
would. Prints recall@1/5/10, MRR@10 and nDCG@10 per question style, the right section in the top
five, distinct pages in the top five, p50 latency and the tokens of a default answer, one row per
ranking variant, for the tune split and the held-back split. Asserts nothing.

`--misses` lists the tune split's misses of one variant; the held-back split's per-question results
are never printed, so tuning cannot peek at them.
"""

from __future__ import annotations

import argparse
import base64
import dataclasses
import hashlib
import itertools
import json
import os
import shutil
import sys
import tarfile
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path
from typing import Any

from tools.bench.quality_metrics import Linked, Question, Scores, percentile
from tools.paths import BUILD, ENCODER, ROOT

DATA = ROOT / "tests" / "data" / "quality"
TARBALL = DATA / "bun-types-1.4.4.tgz"
# As published on the npm registry (`npm view bun-types@1.4.4 dist.integrity`).
INTEGRITY = "sha512-yjrJh5oGX7mMPKGd19YXyIjmEuj4G4zNC30bs7PM9Az7NQ3ndF3j6hbeRdvJTRQEhJ/FYQwW0a2moweEi2hMxQ=="
QUESTIONS = DATA / "questions.jsonl"
WORK = BUILD / "bench-quality"
SOURCE = "bun-docs"
BASE_URL = "https://bun.com/docs"
DOCS = "package/docs/"
SKIPPED = ("package/docs/snippets/",)  # fragments other pages include, not pages of their own


def log(message: str) -> None:
    print(message, file=sys.stderr, flush=True)


# -- corpus and questions ---------------------------------------------------------------------------


def corpus() -> Path:
    """The docs tree extracted from the pinned tarball (once per tarball digest)."""
    data = TARBALL.read_bytes()
    got = "sha512-" + base64.b64encode(hashlib.sha512(data).digest()).decode()
    if got != INTEGRITY:
        raise SystemExit(f"{TARBALL} is not bun-types 1.4.4 as published ({got}); restore it from git")
    target = WORK / f"corpus-{hashlib.sha256(data).hexdigest()[:12]}"
    if (target / ".complete").is_file():
        return target / "docs"
    shutil.rmtree(target, ignore_errors=True)
    with tarfile.open(TARBALL) as archive:
        members = [
            m
            for m in archive.getmembers()
            if m.isfile()
            and m.name.startswith(DOCS)
            and m.name.endswith((".md", ".mdx"))
            and not m.name.startswith(SKIPPED)
        ]
        archive.extractall(target, members=members, filter="data")
    (target / "package").rename(target / "pkg")
    (target / "pkg" / "docs").rename(target / "docs")
    shutil.rmtree(target / "pkg")
    (target / ".complete").write_text(f"{len(members)} pages\n")
    return target / "docs"


def questions() -> list[Question]:
    found = []
    for line in QUESTIONS.read_text().splitlines():
        raw = json.loads(line)
        raw["pages"] = tuple(raw["pages"])
        found.append(Question(**raw))
    return found


def check_questions(root: Path, items: list[Question]) -> None:
    """Every answer page exists and holds its evidence phrase (the questions fit the pinned corpus)."""
    problems = []
    for q in items:
        missing = [p for p in q.pages if not (root / p).is_file()]
        if missing:
            problems.append(f"{q.id}: no page {missing}")
        elif q.evidence.casefold() not in (root / q.pages[0]).read_text().casefold():
            problems.append(f"{q.id}: {q.pages[0]} does not say {q.evidence!r}")
    if problems:
        raise SystemExit("questions do not fit the corpus:\n  " + "\n  ".join(problems))


def heading_overlap(root: Path, items: list[Question]) -> float:
    """Share of natural questions with a word of their answer page's title or section heading."""
    from thoth.refresh_service.markup.document import parse_document
    from thoth.shared.text import tokenize

    natural = [q for q in items if q.style == "natural"]
    shared = 0
    for q in natural:
        doc = parse_document(q.pages[0], (root / q.pages[0]).read_bytes())
        heading = set(tokenize(doc.title + " " + (q.section or "")))
        shared += bool(heading & set(tokenize(q.query)))
    return shared / len(natural) if natural else 0.0


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


def index(root: Path, home: Path) -> dict[str, Any]:
    """Refresh the corpus into `home` with the real pipeline and embedder (a no-op when unchanged)."""
    from thoth.refresh_service.__main__ import ProgressPrinter
    from thoth.refresh_service.embed import SentenceTransformerEmbedder
    from thoth.refresh_service.pipeline import Refresher
    from thoth.refresh_service.runs import RunOptions, Services
    from thoth.refresh_service.sources.definitions import SourceConfig
    from thoth.shared.config import get_settings
    from thoth.shared.state import SqliteStateStore
    from thoth.shared.storage import LocalObjectStore

    services = Services(
        store=LocalObjectStore(home / "objects"),
        state=SqliteStateStore(home / "state.sqlite3"),
        embedder=SentenceTransformerEmbedder(),
        settings=dataclasses.replace(get_settings(), cache_dir=home / "cache"),
    )
    from thoth.shared.index import FORMAT_VERSION

    config = SourceConfig(SOURCE, "dir", str(root), include=("**/*.md", "**/*.mdx"), base_url=BASE_URL)
    began = time.perf_counter()
    # Unchanged files are not re-read, so a version of an older index format would stay live.
    marker = home / "format"
    mode = "incremental" if marker.is_file() and marker.read_text() == str(FORMAT_VERSION) else "full"
    report = Refresher(config, services).run(RunOptions(mode=mode, progress=ProgressPrinter(10.0)))
    marker.write_text(str(FORMAT_VERSION))
    if report.status not in ("ok", "unchanged"):
        raise SystemExit(f"indexing the corpus failed: {report.status}: {report.error}")
    log(f"  index: {report.summary()} ({time.perf_counter() - began:.1f}s)")
    return report.to_dict()


# -- prototypes of signals format 3 brings (head fields, page vectors) ---------------------------------


def page_text(chunk: Any) -> str:
    """What a page vector embeds: the page's title and description (its first chunk carries both)."""
    description = chunk.meta.get("description") if isinstance(chunk.meta, dict) else None
    return str(chunk.title) + (f"\n\n{description}" if isinstance(description, str) and description else "")


def with_page_vectors(prepared: Any) -> Any:
    """`prepared` with page vectors (title + description, the refresh model; cached by content hash).

    The refresh pipeline publishes page vectors with every version (refresh_service/pages.py); this
    fallback serves only a version built before it did, embedding them as the pipeline would.
    """
    import numpy as np

    from thoth.refresh_service.embed import SentenceTransformerEmbedder

    index = prepared.index
    firsts = [int(prepared.page_rows[prepared.page_starts[p]]) for p in range(len(prepared.page_paths))]
    texts = [page_text(c) for c in index.chunks_at(firsts)]
    digest = hashlib.sha256("\0".join(texts).encode()).hexdigest()[:16]
    cached = WORK / f"page-vectors-{digest}.npy"
    if cached.is_file():
        vectors = np.load(cached)
    else:
        vectors = SentenceTransformerEmbedder().encode(texts)
        np.save(cached, vectors)
    table = np.zeros((len(index.pages.paths), vectors.shape[1]), dtype=np.float32)
    table[prepared.page_ids] = vectors
    return replace(prepared, index=replace(index, page_vectors=table))


def install_extra_signals() -> None:
    """Swap the registry's loaded version for one with page vectors if it was published without."""
    from thoth.mcp_server.search.registry import Served, registry

    reg = registry()
    served = reg.serving(SOURCE)[0]
    if served.prepared.index.page_vectors is None:
        log("  page vectors: the version has none (built before refresh wrote them); embedding them here")
        reg._served[SOURCE] = Served(served.pointer, with_page_vectors(served.prepared))
    else:
        log("  page vectors: as the refresh published them")


# -- variants ------------------------------------------------------------------------------------------


def variants() -> dict[str, tuple[Any, dict[str, Any]]]:
    """Ranking variants by name: (RankingConfig, extra search_handbook arguments)."""
    from thoth.mcp_server.search.fusion import RankingConfig

    final = RankingConfig()  # search_handbook's default
    # Before this evaluation existed: plain RRF of BM25 and chunk cosine, no per-page cap.
    today = replace(final, fusion="rrf", keyword_weight=1.0, page_weight=0.0, per_page=2)
    return {
        "today": (today, {"spread_pages": False}),
        "+pages (2/page)": (today, {}),
        "+pages (1/page)": (replace(today, per_page=1), {}),
        "+head x2 (BM25F)": (replace(today, head_weight=2.0), {}),
        "+pagevec": (replace(today, page_weight=1.0), {}),
        "+head x2+pagevec": (replace(today, head_weight=2.0, page_weight=1.0), {}),
        "convex": (replace(today, fusion="convex"), {}),
        "+prf": (replace(today, prf_terms=5), {}),
        # Tuned on the tune split (--tune coarse, then fine): convex fusion, keywords at half weight.
        "tuned, no pagevec": (replace(final, page_weight=0.0), {}),
        "tuned, 2/page": (replace(final, per_page=2), {}),
        "final (default)": (final, {}),
    }


def run(
    items: list[Question], config: Any, extra: dict[str, Any], count_tokens: bool = True
) -> Iterator[tuple[Question, list[tuple[str, list[str]]], list[Linked], float, int]]:
    """(question, ranked (path, heading path), the default answer's results with their linked
    headings, seconds, tokens of the default answer) per question."""
    from thoth.mcp_server.protocol.dispatch import run_tool
    from thoth.mcp_server.protocol.tools import NO_DEADLINE
    from thoth.mcp_server.search import ranking
    from thoth.mcp_server.search.catalog import CATALOG

    count = token_counter()
    ranking.DEFAULT = config
    for q in items:
        began = time.perf_counter()
        out = run_tool(CATALOG, "search_handbook", {"query": q.query, "limit": 10, **extra}, NO_DEADLINE)
        elapsed = time.perf_counter() - began
        if out.is_error:
            raise SystemExit(f"search_handbook failed on {q.id}: {out.text}")
        results = out.structured["results"] if out.structured else []
        # The default call (5 results) is what a client sees: its links and its size are measured.
        default = run_tool(CATALOG, "search_handbook", {"query": q.query, **extra}, NO_DEADLINE)
        shown = default.structured["results"] if default.structured else []
        tokens = 0
        if count_tokens:
            tokens = count(default.text) + count(json.dumps(default.structured, ensure_ascii=False))
        links: list[Linked] = [
            (r["path"], r["heading_path"], [m["heading"] for m in r["more_sections"]]) for r in shown
        ]
        yield q, [(r["path"], r["heading_path"]) for r in results], links, elapsed, tokens


def token_counter() -> Callable[[str], int]:
    """Tokens as the query encoder's WordPiece tokenizer counts them (close to an LLM's for English)."""
    from tokenizers import Tokenizer

    tokenizer = Tokenizer.from_file(str(ENCODER / "tokenizer.json"))
    tokenizer.no_truncation()
    return lambda text: len(tokenizer.encode(text, add_special_tokens=False).ids)


def evaluate(
    items: list[Question], config: Any, extra: dict[str, Any], count_tokens: bool = True
) -> dict[str, Any]:
    groups: dict[tuple[str, str], Scores] = {}
    latency: list[float] = []
    tokens: list[int] = []
    misses: list[str] = []
    for q, ranked, links, elapsed, used in run(items, config, extra, count_tokens):
        for key in ((q.split, q.style), (q.split, "all")):
            groups.setdefault(key, Scores()).add(q, ranked, links)
        latency.append(elapsed)
        tokens.append(used)
        if q.split == "tune" and not any(path in q.pages for path, _ in ranked[:5]):
            top = ", ".join(path for path, _ in ranked[:3])
            misses.append(f"{q.id} [{q.style}] {q.query!r}: wanted {q.pages[0]}; got {top}")
    return {
        "groups": {k: v.row() for k, v in groups.items()},
        "p50_ms": percentile(latency, 0.5) * 1000,
        "p99_ms": percentile(latency, 0.99) * 1000,
        "tokens_p50": percentile([float(t) for t in tokens], 0.5),
        "tokens_max": max(tokens) if tokens else 0,
        "misses": misses,
    }


# (fusion, keyword weight, head weight, page weight, per page); the vector weight stays 1.0.
GRIDS: dict[str, list[tuple[str, float, float, float, int]]] = {
    "coarse": list(
        itertools.product(("rrf", "convex"), (0.5, 1.0, 1.5), (0.5, 1.0, 2.0, 3.0), (0.0, 0.25, 0.5), (2,))
    ),
    "fine": list(
        itertools.product(("convex",), (0.35, 0.5, 0.7), (0.5, 1.0, 2.0), (0.0, 0.25, 0.35, 0.5), (1, 2))
    ),
}


def tune(items: list[Question], grid: str) -> None:
    """Grid over fusion settings on the tune split only (the held-back split is not even run)."""
    from thoth.mcp_server.search.fusion import RankingConfig

    pool = [q for q in items if q.split == "tune"]
    rows = []
    for fusion, keyword, head, page, per_page in GRIDS[grid]:
        config = RankingConfig(
            fusion=fusion,  # type: ignore[arg-type]
            keyword_weight=keyword,
            head_weight=head,
            page_weight=page,
            per_page=per_page,
        )
        groups = evaluate(pool, config, {}, count_tokens=False)["groups"]
        nat, kw = groups[("tune", "natural")], groups[("tune", "keyword")]
        objective = nat["R@5"] + kw["R@5"] + 0.5 * (nat["MRR@10"] + kw["MRR@10"])
        rows.append((objective, fusion, keyword, head, page, per_page, nat, kw, groups[("tune", "all")]))
    rows.sort(key=lambda r: -r[0])
    print(f"\ntune split ({len(pool)} questions): best 15 of {len(rows)} settings (vector weight 1.0)")
    print("objective fusion  kw   head page pp | natural R@5 MRR | keyword R@5 MRR | sect@5 +links pages@5")
    for objective, fusion, keyword, head, page, per_page, nat, kw, both in rows[:15]:
        cells = f"{nat['R@5']:.2f} {nat['MRR@10']:.2f}         | {kw['R@5']:.2f} {kw['MRR@10']:.2f}"
        print(
            f"{objective:9.3f} {fusion:<7} {keyword:<4} {head:<4} {page:<4} {per_page:<2} | {cells}       | "
            f"{both['sect@5']:.2f}   {both['sect+links@5']:.2f}   {both['pages@5']:.2f}"
        )


def side_by_side(items: list[Question], rounds: int = 3) -> str:
    """p50/p99 of a default call, today's ranking and the default interleaved query by query."""
    import statistics

    from thoth.mcp_server.protocol.dispatch import run_tool
    from thoth.mcp_server.protocol.tools import NO_DEADLINE
    from thoth.mcp_server.search import ranking
    from thoth.mcp_server.search.catalog import CATALOG

    chosen = variants()
    pair = {"today": chosen["today"], "default": chosen["final (default)"]}
    times: dict[str, list[float]] = {name: [] for name in pair}
    for _ in range(rounds):
        for q in items:
            for name, (config, extra) in pair.items():
                ranking.DEFAULT = config
                began = time.perf_counter()
                run_tool(CATALOG, "search_handbook", {"query": q.query, **extra}, NO_DEADLINE)
                times[name].append(time.perf_counter() - began)
    p50 = {name: statistics.median(t) * 1000 for name, t in times.items()}
    p99 = {name: percentile(t, 0.99) * 1000 for name, t in times.items()}
    return (
        f"default answer, interleaved x{rounds}: today p50 {p50['today']:.1f} / p99 {p99['today']:.1f} ms, "
        f"default p50 {p50['default']:.1f} / p99 {p99['default']:.1f} ms, "
        f"ratio {p50['default'] / p50['today']:.2f} (load avg {os.getloadavg()[0]:.1f})"
    )


# -- report --------------------------------------------------------------------------------------------

COLUMNS = ("R@1", "R@5", "R@10", "MRR@10", "nDCG@10")


def table(results: dict[str, dict[str, Any]], split: str) -> str:
    lines = [
        f"{'variant':<18} {'natural R@1/R@5/R@10 MRR nDCG':<34} {'keyword R@1/R@5/R@10 MRR nDCG':<34} "
        f"{'sect@5':>6} {'+links':>6} {'pages@5':>7} {'p50 ms':>7} {'tokens':>6}"
    ]
    for name, result in results.items():
        cells = []
        for style in ("natural", "keyword"):
            row = result["groups"].get((split, style))
            cells.append(" ".join(f"{row[c]:.2f}" for c in COLUMNS) if row else "-")
        both = result["groups"][(split, "all")]
        lines.append(
            f"{name:<18} {cells[0]:<34} {cells[1]:<34} {both['sect@5']:>6.2f} {both['sect+links@5']:>6.2f} "
            f"{both['pages@5']:>7.2f} "
            f"{result['p50_ms']:>7.1f} {result['tokens_p50']:>6.0f}"
        )
    return "\n".join(lines)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--variants", help="comma-separated variant names (default: all)")
    parser.add_argument("--misses", metavar="VARIANT", help="list that variant's tune-split misses")
    parser.add_argument(
        "--tune", choices=("coarse", "fine"), help="grid-search fusion settings on the tune split"
    )
    parser.add_argument(
        "--splits", default="tune,held", help="tables to print: tune,held (print only tune while tuning)"
    )
    args = parser.parse_args(argv)
    home = WORK / "home"
    WORK.mkdir(parents=True, exist_ok=True)
    environment(home)
    began = time.perf_counter()
    root = corpus()
    items = questions()
    check_questions(root, items)
    pages = sum(1 for _ in root.rglob("*.md*"))
    log(f"quality: {pages} pages of bun-types 1.4.4 docs, {len(items)} questions")
    ensure_encoder()
    index(root, home)
    install_extra_signals()
    if args.tune:
        tune(items, args.tune)
        return 0
    chosen = variants()
    if args.variants:
        unknown = sorted(set(args.variants.split(",")) - set(chosen))
        if unknown:
            raise SystemExit(f"unknown variant(s) {unknown}; choose from {', '.join(chosen)}")
        chosen = {k: v for k, v in chosen.items() if k in args.variants.split(",")}
    results = {}
    for name, (config, extra) in chosen.items():
        results[name] = evaluate(items, config, extra)
        log(f"  {name}: done")
    overlap = heading_overlap(root, items)
    styles = {s: sum(q.style == s for q in items) for s in ("natural", "keyword")}
    splits = {s: sum(q.split == s for q in items) for s in ("tune", "held")}
    print(
        f"\nquality: {pages} pages, {len(items)} questions ({styles['natural']} natural, "
        f"{styles['keyword']} keyword; {splits['tune']} tune, {splits['held']} held back); "
        f"natural questions sharing a word with their answer's title/section: {overlap:.0%}"
    )
    for split in [s for s in ("tune", "held") if s in args.splits.split(",")]:
        print(f"\n[{split} split] recall@k = share of questions with an answer page in the top k")
        print(table(results, split))
    if args.misses:
        print(f"\n{args.misses}: tune-split misses (no answer page in the top five)")
        print("\n".join(results[args.misses]["misses"]) or "none")
    latency = ", ".join(f"{n} p50 {r['p50_ms']:.1f} / p99 {r['p99_ms']:.1f} ms" for n, r in results.items())
    print(f"\nlatency of a limit-10 call (load avg {os.getloadavg()[0]:.1f}): {latency}")
    print(side_by_side(items))
    tokens = ", ".join(f"{n} {r['tokens_max']}" for n, r in results.items())
    print(f"most tokens in a default (5-result) answer: {tokens}")
    print(f"quality: done in {time.perf_counter() - began:.0f}s")
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
