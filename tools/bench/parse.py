"""Parse + chunk benchmarks (no model): pages per second on handbook-shaped pages, the hostile corpus's
slowest file per MiB, and the alias file's index size, each beside the code at a baseline git ref.

Run with `nox -s bench -- refresh --parse-only` (or as part of `nox -s bench -- refresh`).
"""

from __future__ import annotations

import importlib.util
import json
import os
import random
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path
from typing import Any

from tools.bench.hostile import INCLUDES, MIB, corpus
from tools.paths import ROOT

PAGES = 1000
OLD = (
    "packages/refresh_service/src/thoth/refresh_service/parse.py",
    "packages/refresh_service/src/thoth/refresh_service/chunk.py",
)
ALIAS_FILE = (
    "---\ntitle: Bomb\na: &a [x, x, x, x, x, x, x, x, x]\nb: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a]\n"
    "c: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b]\nd: &d [*c, *c, *c, *c, *c, *c, *c, *c, *c]\n"
    "e: &e [*d, *d, *d, *d, *d, *d, *d, *d, *d]\n---\n# Bomb\n\n"
    + "".join(f"## Part {i}\n\n" + "Words of the page. " * 30 + "\n\n" for i in range(40))
)


def handbook_pages(n: int = PAGES, seed: int = 7) -> list[tuple[str, bytes]]:
    """Pages shaped like the GitLab handbook's: front matter, sections, lists, tables, code, Hugo, HTML."""
    rng = random.Random(seed)
    words = [
        "team",
        "manager",
        "review",
        "release",
        "policy",
        "time",
        "off",
        "expense",
        "travel",
        "deploy",
        "incident",
        "values",
        "handbook",
        "merge",
        "request",
        "approval",
        "security",
        "access",
        "laptop",
        "onboarding",
        "budget",
    ]

    def sentence() -> str:
        return " ".join(rng.choice(words) for _ in range(rng.randint(8, 20))).capitalize() + "."

    pages = []
    for p in range(n):
        out = [f"---\ntitle: Page {p}\ndescription: {sentence()}\naliases: [/old/page-{p}/]\n---\n\n"]
        out.append(f'{{{{% alert title="Note" %}}}}\n{sentence()}\n{{{{% /alert %}}}}\n\n')
        for s in range(rng.randint(4, 10)):
            out.append(f"## Section {s} - {rng.choice(words).title()} & more\n\n")
            out.append(" ".join(sentence() for _ in range(rng.randint(2, 6))) + "\n\n")
            kind = rng.randrange(6)
            if kind == 0:
                out.append("".join(f"- {sentence()}\n" for _ in range(rng.randint(2, 6))) + "\n")
            elif kind == 1:
                out.append(
                    "| Item | Owner |\n| --- | --- |\n"
                    + "".join(
                        f'| {rng.choice(words)} | {{{{< member-by-name "Person {i}" >}}}} |\n'
                        for i in range(4)
                    )
                    + "\n"
                )
            elif kind == 2:
                out.append("```bash\n./run --flag value\n```\n\n")
            elif kind == 3:
                out.append(
                    '<div class="panel"><svg width="8" height="8"><path d="M0 0L8 8"/></svg>'
                    f"<p>{sentence()}</p></div>\n\n"
                )
            elif kind == 4:
                out.append('{{% include "includes/a.md" %}}\n\n')
            else:
                out.append(f"### Details {{#details-{s}}}\n\n{sentence()}\n\n")
        pages.append((f"content/handbook/area-{p % 20}/page-{p}.md", "".join(out).encode()))
    return pages


def _current() -> Callable[[str, bytes], int]:
    from thoth.refresh_service.chunk import ChunkSettings, chunk_document, page_url
    from thoth.refresh_service.markup import Budget, ParseError, Site, parse_document

    files = {**INCLUDES, "assets/includes/a.md": b"Included text about the release process.\n"}
    site = Site(files={p: "sha256:x" for p in files}, read=files.__getitem__)

    def run(path: str, data: bytes) -> int:
        try:
            doc = parse_document(path, data, 4 * MIB, site, Budget(seconds=600))
        except ParseError:
            return -1
        url = page_url(path, "https://h.example/", "", site, doc.meta)
        chunks = chunk_document(
            doc, source="b", url=url, commit=None, last_modified=None, settings=ChunkSettings()
        )
        return sum(len(c.to_json()) + 1 for c in chunks) if path.endswith("bomb.md") else len(chunks)

    return run


def _baseline(ref: str, work: Path) -> Path | None:
    """The parse/chunk modules at `ref`, importable as `baseline_parse`/`baseline_chunk`, or None."""
    try:
        for name, path in zip(("baseline_parse", "baseline_chunk"), OLD, strict=True):
            text = subprocess.run(
                ["git", "show", f"{ref}:{path}"], cwd=ROOT, capture_output=True, text=True, check=True
            ).stdout
            (work / f"{name}.py").write_text(text.replace("thoth.refresh_service.parse", "baseline_parse"))
    except (OSError, subprocess.CalledProcessError):
        return None
    return work


def _load(name: str, directory: Path) -> Any:
    """Import directory/name.py as module `name` (registered, so the other baseline module finds it)."""
    spec = importlib.util.spec_from_file_location(name, directory / f"{name}.py")
    assert spec is not None and spec.loader is not None
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    spec.loader.exec_module(module)
    return module


_CHILD = """
import json, sys, time
from baseline_parse import ParseError, parse_document
from baseline_chunk import ChunkSettings, chunk_document, page_url
data = open(sys.argv[2], "rb").read()
began = time.perf_counter()
try:
    doc = parse_document(sys.argv[3], data, 4 << 20)
    chunks = chunk_document(doc, source="b", url=page_url(sys.argv[3], "https://h.example/"), commit=None,
                            last_modified=None, settings=ChunkSettings())
    size = sum(len(c.to_json()) + 1 for c in chunks)
    out = {"chunks": len(chunks), "bytes": size}
except ParseError as exc:
    out = {"skipped": str(exc)[:60]}
out["s"] = time.perf_counter() - began
print(json.dumps(out))
"""


def _old_file(module_dir: Path, path: str, data: bytes, timeout: float) -> dict[str, Any]:
    with tempfile.NamedTemporaryFile(suffix=".md") as handle:
        handle.write(data)
        handle.flush()
        try:
            done = subprocess.run(
                [sys.executable, "-c", _CHILD, str(module_dir), handle.name, path],
                capture_output=True, text=True, timeout=timeout,
                env={**os.environ, "PYTHONPATH": os.pathsep.join([str(module_dir), str(ROOT)])},
            )  # fmt: skip
        except subprocess.TimeoutExpired:
            return {"s": float("inf")}
    if done.returncode != 0:
        return {"s": float("nan"), "error": done.stderr.strip().splitlines()[-1][:80]}
    result: dict[str, Any] = json.loads(done.stdout.strip().splitlines()[-1])
    return result


def main(repeat: int = 3, baseline: str | None = "main", hostile_timeout: float = 60.0) -> None:
    pages = handbook_pages()
    current = _current()
    with tempfile.TemporaryDirectory(prefix="thoth-bench-parse-") as tmp:
        old_dir = _baseline(baseline, Path(tmp)) if baseline else None
        old: Callable[[str, bytes], int] | None = None
        if old_dir is not None:
            parse_mod: Any = _load("baseline_parse", old_dir)
            chunk_mod: Any = _load("baseline_chunk", old_dir)  # imports baseline_parse by name

            def old(path: str, data: bytes) -> int:
                doc = parse_mod.parse_document(path, data, 4 * MIB)
                url = chunk_mod.page_url(path, "https://h.example/")
                return len(
                    chunk_mod.chunk_document(
                        doc,
                        source="b",
                        url=url,
                        commit=None,
                        last_modified=None,
                        settings=chunk_mod.ChunkSettings(),
                    )
                )

        sides: dict[str, Callable[[str, bytes], int]] = {
            "now": current,
            **({f"at {baseline}": old} if old else {}),
        }
        times: dict[str, list[float]] = {k: [] for k in sides}
        chunks: dict[str, int] = {}
        for i in range(repeat):
            for name in sides if i % 2 == 0 else reversed(list(sides)):
                began = time.perf_counter()
                chunks[name] = sum(max(0, sides[name](p, d)) for p, d in pages)
                times[name].append(time.perf_counter() - began)
        mb = sum(len(d) for _, d in pages) / MIB
        print(
            f"\n[4] parse + chunk of {PAGES} handbook-shaped pages ({mb:.1f} MiB; shortcodes, includes, HTML)"
        )
        for name in sides:
            med = statistics.median(times[name])
            print(f"    {name:14s} median {med:6.2f} s per 1,000 pages  {chunks[name]:6d} chunks")
        if old:
            ratio = statistics.median(times["now"]) / statistics.median(times[f"at {baseline}"])
            print(f"    now / at {baseline}: {ratio:.2f}x (now also expands shortcodes, includes and HTML)")

        print(
            f"\n[5] hostile corpus, 2 MiB of each construct (baseline runs capped at {hostile_timeout:.0f} s)"
        )
        worst: dict[str, tuple[float, str]] = {}
        for path, data in corpus():
            name = path.rsplit("/", 1)[-1].removesuffix(".md")
            size = max(len(data), 1) / MIB
            began = time.perf_counter()
            outcome = current(path, data)
            now_s = time.perf_counter() - began
            line = f"    {name:24s} {size:5.2f} MiB  now {now_s:6.2f} s ({now_s / size:6.2f} s/MiB)"
            line += " skipped" if outcome < 0 else ""
            big = size >= 0.5  # a tiny file's rate per MiB is noise (the alias file is 0.3 KB)
            if big and outcome >= 0:
                worst["now"] = max(worst.get("now", (0.0, "")), (now_s / size, name))
            if old_dir is not None:
                r = _old_file(old_dir, path, data, hostile_timeout)
                shown = (
                    "   > cap"
                    if r["s"] == float("inf")
                    else ("  failed" if r["s"] != r["s"] else f"{r['s']:6.2f} s")
                )
                line += f" | at {baseline} {shown}"
                old_rate = float("inf") if r["s"] != r["s"] else r["s"] / size
                if big and "skipped" not in r:
                    worst["old"] = max(worst.get("old", (0.0, "")), (old_rate, name))
            print(line, flush=True)
        print(f"    slowest file per MiB: now {worst['now'][0]:.2f} s/MiB ({worst['now'][1]})", end="")
        if "old" in worst:
            rate = "over the cap" if worst["old"][0] == float("inf") else f"{worst['old'][0]:.2f} s/MiB"
            print(f"; at {baseline} {rate} ({worst['old'][1]})")
        else:
            print()

        print("\n[6] the alias file (5 levels of 9 YAML aliases in 0.5 KB of front matter, 40 sections)")
        print(
            "    now: skipped before any chunk is written ("
            + ("refused" if current("bomb.md", ALIAS_FILE.encode()) < 0 else "indexed")
            + ")"
        )
        if old_dir is not None:
            r = _old_file(old_dir, "bomb.md", ALIAS_FILE.encode(), hostile_timeout)
            if "bytes" in r:
                print(f"    at {baseline}: chunks.jsonl {r['bytes'] / MIB:.1f} MiB for {r['chunks']} chunks")
            else:
                print(f"    at {baseline}: {r}")


if __name__ == "__main__":
    main()
