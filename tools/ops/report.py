"""`nox -s report -- <env>`: what people search for and do not find, the slowest calls, searches per source.

Reads the metrics records (EMF lines, thoth.shared.metrics) from the functions' CloudWatch logs, or
for `local` from THOTH_HOME/metrics.jsonl, which `nox -s serve` and `nox -s refresh` write. It
prints query text only when the server recorded it (THOTH_LOG_QUERIES=on) and never prints API
keys, tokens or user identifiers: records carry none, and anything token-shaped in a query is masked.
"""

from __future__ import annotations

import math
import re
import statistics
import time
from collections import Counter, defaultdict
from collections.abc import Iterable, Iterator
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

from thoth.shared.metrics import LOCAL_FILE, NAMESPACE, parse

SEARCH = "search_handbook"
# Long runs of token characters (API keys, JWTs, hex secrets) and e-mail addresses.
_SECRETISH = re.compile(r"[A-Za-z0-9_\-.=+/]{32,}|[\w.+-]+@[\w-]+\.[\w.]+")
_CONTROL = re.compile(r"[\x00-\x1f\x7f]")


def _is_thoth(doc: dict[str, Any]) -> bool:
    directives = doc.get("_aws", {}).get("CloudWatchMetrics")
    return isinstance(directives, list) and any(
        isinstance(d, dict) and d.get("Namespace") == NAMESPACE for d in directives
    )


def records(lines: Iterable[str]) -> Iterator[dict[str, Any]]:
    """Thoth's metrics records among any log lines (other lines, and other namespaces, are skipped)."""
    for line in lines:
        doc = parse(line)
        if doc is not None and _is_thoth(doc):
            yield doc


def shown_query(text: Any, limit: int = 80) -> str:
    """A query as safe to print: one line, bounded, token-shaped parts masked."""
    flat = _CONTROL.sub(" ", str(text))
    flat = _SECRETISH.sub("[masked]", " ".join(flat.split()))
    return flat if len(flat) <= limit else flat[: limit - 1] + "…"


@dataclass
class QueryStats:
    count: int = 0
    zero: int = 0
    best: float = 0.0
    last_ms: int = 0


@dataclass
class Report:
    """Figures over one window of records."""

    searches: int = 0
    zero: int = 0
    low: int = 0
    errors: int = 0
    latencies: list[float] = field(default_factory=list)
    queries: dict[str, QueryStats] = field(default_factory=dict)
    with_text: int = 0
    slowest: list[dict[str, Any]] = field(default_factory=list)
    by_source: Counter[str] = field(default_factory=Counter)
    by_top_source: Counter[str] = field(default_factory=Counter)
    refreshes: dict[str, Counter[str]] = field(default_factory=lambda: defaultdict(Counter))
    ages: dict[str, float] = field(default_factory=dict)


def _number(doc: dict[str, Any], name: str) -> float:
    value = doc.get(name, 0)
    return float(value) if isinstance(value, int | float) and not isinstance(value, bool) else 0.0


def analyse(docs: Iterable[dict[str, Any]], low_score: float = 0.3, slowest: int = 10) -> Report:
    report = Report()
    calls: list[dict[str, Any]] = []
    for doc in docs:
        stamp = int(doc.get("_aws", {}).get("Timestamp", 0) or 0)
        if "Tool" in doc and "ToolCalls" in doc:
            calls.append(doc)
            if doc["Tool"] != SEARCH:
                continue
            report.searches += 1
            report.latencies.append(_number(doc, "ToolLatency"))
            report.errors += int(_number(doc, "ToolErrors"))
            zero = _number(doc, "ZeroResults") >= 1
            # TopSimilarity (the query's cosine with the first result) is absolute; TopScore, all that
            # older records carry, is relative to the best possible fused score.
            measure = "TopSimilarity" if "TopSimilarity" in doc else "TopScore"
            low = not zero and measure in doc and _number(doc, measure) < low_score
            report.zero += zero
            report.low += low
            report.by_source[str(doc.get("source", "*"))] += 1
            if doc.get("top_source"):
                report.by_top_source[str(doc["top_source"])] += 1
            if "query" in doc:
                report.with_text += 1
                if zero or low:
                    stats = report.queries.setdefault(shown_query(doc["query"]), QueryStats())
                    stats.count += 1
                    stats.zero += zero
                    stats.best = max(stats.best, _number(doc, measure))
                    stats.last_ms = max(stats.last_ms, stamp)
        elif "Source" in doc:
            source = str(doc["Source"])
            if "RefreshRuns" in doc:
                runs = report.refreshes[source]
                runs["runs"] += 1
                runs["failed"] += int(_number(doc, "RefreshFailed"))
                runs["published"] += int(_number(doc, "Published"))
            if "IndexAgeSeconds" in doc:
                report.ages[source] = _number(doc, "IndexAgeSeconds")
    calls.sort(key=lambda d: -_number(d, "ToolLatency"))
    report.slowest = calls[:slowest]
    return report


def _table(headers: list[str], rows: list[list[str]]) -> list[str]:
    widths = [max(len(h), *(len(r[i]) for r in rows)) if rows else len(h) for i, h in enumerate(headers)]
    line = "  ".join(h.ljust(w) for h, w in zip(headers, widths, strict=True))
    out = [line, "  ".join("-" * w for w in widths)]
    out += ["  ".join(c.ljust(w) for c, w in zip(r, widths, strict=True)).rstrip() for r in rows]
    return [line.rstrip() for line in out]


def _when(ms: int) -> str:
    return time.strftime("%Y-%m-%d %H:%M", time.gmtime(ms / 1000)) if ms else "-"


def render(report: Report, where: str, top: int = 10, low_score: float = 0.3) -> str:
    out = [f"Thoth search report: {where}", ""]
    if report.searches:
        p50 = statistics.median(report.latencies)
        p99 = sorted(report.latencies)[math.ceil(0.99 * len(report.latencies)) - 1]  # nearest rank
        zero, low = 100 * report.zero / report.searches, 100 * report.low / report.searches
        out.append(
            f"{report.searches} searches: {report.zero} with no result ({zero:.1f}%), "
            f"{report.low} scoring below {low_score} ({low:.1f}%), "
            f"{report.errors} failed; latency p50 {p50:.1f} ms, p99 {p99:.1f} ms"
        )
    else:
        out.append("no searches in this window")
    out += ["", "Queries with no or low-scoring results"]
    if report.queries:
        ranked = sorted(report.queries.items(), key=lambda kv: (-kv[1].count, kv[0]))[:top]
        rows = [[q, str(s.count), str(s.zero), f"{s.best:.2f}", _when(s.last_ms)] for q, s in ranked]
        out += _table(["query", "times", "no result", "best score", "last (UTC)"], rows)
    elif report.zero or report.low:
        out.append(
            f"  {report.zero + report.low} such searches, but query text is not recorded: set "
            "THOTH_LOG_QUERIES=on on the MCP server to see them (queries can be personal; off by default)"
        )
    else:
        out.append("  none")
    out += ["", f"Slowest calls (top {min(top, len(report.slowest))})"]
    rows = [
        [_when(int(d.get("_aws", {}).get("Timestamp", 0) or 0)), str(d.get("Tool", ""))[:40],
         f"{_number(d, 'ToolLatency'):.1f}", str(int(_number(d, "Results"))) if "Results" in d else "-",
         "error" if _number(d, "ToolErrors") else "ok"]
        for d in report.slowest[:top]
    ]  # fmt: skip
    out += _table(["time (UTC)", "tool", "ms", "results", "outcome"], rows) if rows else ["  none"]
    out += ["", "Searches per source (argument `source`; * = all sources)"]
    total = sum(report.by_source.values())
    rows = [[s, str(n), f"{100 * n / total:.1f}%"] for s, n in report.by_source.most_common()]
    out += _table(["source", "searches", "share"], rows) if rows else ["  none"]
    if report.by_top_source:
        hits = sum(report.by_top_source.values())
        rows = [[s, str(n), f"{100 * n / hits:.1f}%"] for s, n in report.by_top_source.most_common()]
        out += ["", "Source of the first result", *_table(["source", "searches", "share"], rows)]
    if report.refreshes or report.ages:
        out += ["", "Refreshes and index age"]
        names = sorted(set(report.refreshes) | set(report.ages))
        rows = [
            [s, str(report.refreshes[s]["runs"]), str(report.refreshes[s]["failed"]),
             str(report.refreshes[s]["published"]),
             f"{report.ages[s] / 3600:.1f} h" if s in report.ages else "-"]
            for s in names
        ]  # fmt: skip
        out += _table(["source", "runs", "failed", "published", "index age (latest)"], rows)
    return "\n".join(out)


def local_lines(home: Path, since_ms: int) -> Iterator[str]:
    """Lines of THOTH_HOME/metrics.jsonl newer than `since_ms` ago."""
    path = home / LOCAL_FILE
    if not path.is_file():
        return
    cutoff = int(time.time() * 1000) - since_ms
    with open(path, encoding="utf-8", errors="replace") as handle:
        for line in handle:
            doc = parse(line)
            if doc is not None and int(doc.get("_aws", {}).get("Timestamp", 0) or 0) >= cutoff:
                yield line


def cloud_lines(session: Any, since_ms: int) -> Iterator[str]:
    """Metrics lines from both functions' log groups over the window (awscli pages through them)."""
    start = str(int(time.time() * 1000) - since_ms)
    for function in (session.env.mcp_function, session.env.refresh_function):
        found = session.cli.try_run(
            "logs", "filter-log-events", "--log-group-name", f"/aws/lambda/{function}", "--start-time", start,
            "--filter-pattern", '"CloudWatchMetrics"', missing=("ResourceNotFoundException",),
        )  # fmt: skip
        for event in (found or {}).get("events", []):
            yield str(event.get("message", ""))


def run(where: str, lines: Iterable[str], *, top: int, low_score: float) -> int:
    print(render(analyse(records(lines), low_score), where, top, low_score))
    return 0
