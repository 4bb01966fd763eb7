"""Refresh benchmarks: pipeline overhead vs bare encode(), incremental vs full, chunks/s and peak RSS,
then parse + chunk per 1,000 pages, the hostile corpus and the alias file beside a baseline ref.

Run with `nox -s bench -- refresh [--quick] [--parse-only] [--baseline REF]`. Prints medians and
ratios; asserts nothing.
"""

from __future__ import annotations

import argparse
import dataclasses
import json
import math
import os
import resource
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

from tools.paths import ROOT

os.environ.setdefault("HF_HUB_OFFLINE", "1")
os.environ.setdefault("TRANSFORMERS_OFFLINE", "1")

HANDBOOK = ROOT / "samples" / "handbook"
INCLUDE = ("**/*.md", "**/*.txt")
WORDS = [
    "deploy",
    "release",
    "canary",
    "rollback",
    "incident",
    "pager",
    "runbook",
    "owner",
    "review",
    "merge",
    "branch",
    "commit",
    "token",
    "secret",
    "access",
    "policy",
    "expense",
    "travel",
    "budget",
    "laptop",
    "onboarding",
    "handbook",
    "search",
    "index",
    "chunk",
    "embed",
    "vector",
    "query",
    "latency",
    "error",
    "alert",
    "dashboard",
    "metric",
    "terraform",
    "bucket",
    "table",
    "queue",
    "lambda",
    "container",
    "image",
    "layer",
]


def _services(home: Path, embedder: Any) -> Any:
    from thoth.refresh_service.runs import Services
    from thoth.shared.config import get_settings
    from thoth.shared.state import SqliteStateStore
    from thoth.shared.storage import LocalObjectStore

    return Services(
        store=LocalObjectStore(home / "objects"),
        state=SqliteStateStore(home / "state.sqlite3"),
        embedder=embedder,
        settings=dataclasses.replace(get_settings(), cache_dir=home / "cache"),
    )


def _config(name: str, location: Path, kind: str = "dir") -> Any:
    from thoth.refresh_service.sources.definitions import SourceConfig

    return SourceConfig(name, kind, str(location), include=INCLUDE)


def _run(config: Any, services: Any, mode: str) -> tuple[Any, float]:
    from thoth.refresh_service.pipeline import Refresher
    from thoth.refresh_service.runs import RunOptions

    began = time.perf_counter()
    report = Refresher(config, services).run(RunOptions(mode=mode))
    elapsed = time.perf_counter() - began
    if report.status not in ("ok", "unchanged"):
        raise SystemExit(f"benchmark run failed: {report.status}: {report.error}")
    return report, elapsed


def _embed_texts(services: Any, source: str, tmp: Path) -> list[str]:
    from thoth.refresh_service.chunk import chunk_embed_text
    from thoth.shared.index import download_version, load_version, read_live

    pointer = read_live(services.state, source)
    if pointer is None:
        raise SystemExit(f"benchmark run left no live index for {source!r}; see the refresh report above")
    index = load_version(download_version(services.store, source, pointer.version, tmp))
    return [chunk_embed_text(c) for c in index.chunks]


def synthetic_corpus(root: Path, chunks: int) -> int:
    """Markdown files of 10 sections each (~70 tokens a section, one chunk each); returns the file count."""
    import random

    rng = random.Random(42)
    files = math.ceil(chunks / 10)
    for f in range(files):
        lines = [f"---\ntitle: Synthetic page {f}\n---\n", f"# Synthetic page {f}\n"]
        for s in range(min(10, chunks - f * 10)):
            body = " ".join(rng.choice(WORDS) for _ in range(55))
            lines.append(f"\n## Section {s} of page {f}\n\n{body}.\n")
        path = root / f"area-{f % 20:02d}" / f"page-{f:05d}.md"
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text("".join(lines))
    return files


def touch(root: Path, fraction: float) -> int:
    """Append a sentence to `fraction` of the files (at least one); returns how many."""
    files = sorted(p for p in root.rglob("*.md") if ".git" not in p.parts)
    count = max(1, math.ceil(len(files) * fraction))
    for path in files[:: max(1, len(files) // count)][:count]:
        with open(path, "a") as handle:
            handle.write("\nAn edit made by the benchmark to trigger an incremental refresh.\n")
    return count


def child(args: argparse.Namespace) -> None:
    """One corpus in a fresh process (for peak RSS): full ingest, then 1% touched, then incremental."""
    from thoth.refresh_service.embed import SentenceTransformerEmbedder

    embedder = SentenceTransformerEmbedder()
    embedder.encode(["warm up"])
    corpus = Path(args.child)
    services = _services(Path(args.home), embedder)
    config = _config("bench", corpus)
    full, full_s = _run(config, services, "full")
    touched = touch(corpus, 0.01)
    inc, inc_s = _run(config, services, "incremental")
    print(
        json.dumps(
            {
                "chunks": full.chunks_total,
                "full_s": full_s,
                "embed_rate": full.embeddings_per_s,
                "touched": touched,
                "files": full.files_total,
                "inc_s": inc_s,
                "inc_embedded": inc.chunks_embedded,
                "self_rss_mb": resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024,
            }
        )
    )


def measure_child(corpus: Path, home: Path) -> dict[str, Any]:
    process = subprocess.Popen(
        [sys.executable, __file__, "--child", str(corpus), "--home", str(home)],
        stdout=subprocess.PIPE,
        text=True,
    )
    assert process.stdout is not None
    output = process.stdout.read()
    _pid, status, usage = os.wait4(process.pid, 0)
    if status != 0:
        raise SystemExit(f"benchmark child for {corpus} failed with status {status}")
    result: dict[str, Any] = json.loads(output.strip().splitlines()[-1])
    result["peak_rss_mb"] = usage.ru_maxrss / 1024
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__)
    parser.add_argument(
        "--quick", action="store_true", help="fewer repeats and a 2,000-chunk synthetic corpus"
    )
    parser.add_argument("--repeat", type=int, help="repeats of the side-by-side runs (default 3, quick 2)")
    parser.add_argument("--synthetic-chunks", type=int, help="size of the synthetic corpus (default 20000)")
    parser.add_argument(
        "--parse-only", action="store_true", help="only the parse sections [4]-[6] (no model, no embedding)"
    )
    parser.add_argument(
        "--baseline", default="main", help="git ref whose parse/chunk code runs beside today's (default main)"
    )
    parser.add_argument("--no-baseline", action="store_true", help="skip the baseline side")
    parser.add_argument(
        "--hostile-timeout", type=float, default=60.0, help="cap in seconds per baseline hostile file"
    )
    parser.add_argument("--child", help=argparse.SUPPRESS)
    parser.add_argument("--home", help=argparse.SUPPRESS)
    args = parser.parse_args()
    if args.child:
        child(args)
        return
    from tools.bench import parse as parse_bench

    baseline = None if args.no_baseline else args.baseline
    if args.parse_only:
        parse_bench.main(2 if args.quick else 3, baseline, args.hostile_timeout)
        return
    repeat = args.repeat or (2 if args.quick else 3)
    synthetic = args.synthetic_chunks or (2000 if args.quick else 20000)

    from thoth.refresh_service.embed import SentenceTransformerEmbedder

    embedder = SentenceTransformerEmbedder()
    embedder.encode(["warm up"])
    model = embedder.model
    print(
        f"refresh benchmark: {repeat} repeats, torch threads={_threads()}, cpus={os.cpu_count()}", flush=True
    )
    work = Path(tempfile.mkdtemp(prefix="thoth-bench-refresh-"))
    try:
        pipeline_s: list[float] = []
        bare_s: list[float] = []
        embed_s: list[float] = []
        _run(_config("handbook", HANDBOOK), _services(work / "texts", embedder), "full")
        texts = _embed_texts(_services(work / "texts", embedder), "handbook", work / "dl")
        chunks = len(texts)
        for i in range(repeat):
            # Alternate the order so drifting machine load hits both sides alike.
            for side in ("bare", "pipeline") if i % 2 == 0 else ("pipeline", "bare"):
                began = time.perf_counter()
                if side == "bare":
                    model.encode(
                        texts,
                        batch_size=embedder.batch_size,
                        normalize_embeddings=True,
                        show_progress_bar=False,
                    )
                    bare_s.append(time.perf_counter() - began)
                else:
                    report, elapsed = _run(
                        _config("handbook", HANDBOOK), _services(work / f"full-{i}", embedder), "full"
                    )
                    pipeline_s.append(elapsed)
                    embed_s.append(report.chunks_embedded / report.embeddings_per_s)
        p, b = statistics.median(pipeline_s), statistics.median(bare_s)
        print(f"\n[1] sample handbook, full ingest vs bare encode() of the same {chunks} chunks")
        print(f"    pipeline full ingest   median {p:7.2f} s   ({chunks / p:6.1f} chunks/s)")
        print(f"    bare encode()          median {b:7.2f} s   ({chunks / b:6.1f} chunks/s)")
        print(f"    (pipeline time inside encode: median {statistics.median(embed_s):.2f} s)")
        print(f"    pipeline overhead      {100 * (p - b) / b:+6.1f} %   (target <= +10 %)")

        full_s, inc_s, embedded, touched = [], [], [], 0
        for i in range(repeat):
            corpus = work / f"inc-{i}" / "handbook"
            shutil.copytree(HANDBOOK, corpus)
            services = _services(work / f"inc-{i}" / "home", embedder)
            _report, elapsed = _run(_config("handbook", corpus), services, "full")
            full_s.append(elapsed)
            touched = touch(corpus, 0.01)
            report, elapsed = _run(_config("handbook", corpus), services, "incremental")
            inc_s.append(elapsed)
            embedded.append(report.chunks_embedded)
        f, n = statistics.median(full_s), statistics.median(inc_s)
        print(f"\n[2] sample handbook, incremental after touching {touched} of 35 files vs full")
        print(f"    full                   median {f:7.2f} s")
        print(
            f"    incremental            median {n:7.2f} s   "
            f"embedded {statistics.median(embedded):.0f} chunks"
        )
        print(f"    incremental / full     {100 * n / f:6.1f} %   (target <= 5 %)")

        print("\n[3] throughput and peak memory (fresh process per corpus: full, touch 1 %, incremental)")
        rows = [("sample handbook", HANDBOOK)]
        synth_dir = work / "synthetic"
        files = synthetic_corpus(synth_dir, synthetic)
        rows.append((f"synthetic {synthetic} chunks / {files} files", synth_dir))
        for label, corpus in rows:
            copy = work / "rss" / label.split()[0] / "corpus"
            shutil.copytree(corpus, copy)
            r = measure_child(copy, copy.parent / "home")
            print(
                f"    {label:38s} {r['chunks']:6d} chunks  full {r['full_s']:7.1f} s  "
                f"{r['chunks'] / r['full_s']:6.1f} chunks/s  peak RSS {r['peak_rss_mb']:6.0f} MB  | "
                f"incremental ({r['touched']}/{r['files']} files) {r['inc_s']:6.2f} s = "
                f"{100 * r['inc_s'] / r['full_s']:.1f} % of full, embedded {r['inc_embedded']}"
            )
    finally:
        shutil.rmtree(work, ignore_errors=True)
    parse_bench.main(repeat, baseline, args.hostile_timeout)


def _threads() -> int:
    import torch

    return int(torch.get_num_threads())


if __name__ == "__main__":
    main()
