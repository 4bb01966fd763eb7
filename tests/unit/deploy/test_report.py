"""`nox -s report` on a recorded CloudWatch log: the tables an operator reads, nothing secret."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from tools.deploy import cli
from tools.ops import report

LOG = Path(__file__).resolve().parents[2] / "data" / "report" / "mcp-server.log"


def _run(capsys: pytest.CaptureFixture[str], *args: str) -> str:
    assert cli.main(["report", *args]) == 0
    return capsys.readouterr().out


def test_report_on_a_recorded_log(capsys: pytest.CaptureFixture[str]) -> None:
    out = _run(capsys, "dev", "--file", str(LOG))
    assert "24 searches: 9 with no result (37.5%), 6 scoring below 0.3 (25.0%), 0 failed" in out
    assert "p99 306.8 ms" in out
    zero = out.split("Queries with no or low-scoring results", 1)[1].split("Slowest calls", 1)[0]
    rows = [line.split("  ")[0] for line in zero.strip().splitlines()[2:]]
    assert rows == [
        "kubernetes runbook for gitaly",
        "expense report deadline",
        "what is the token [masked] for",
        "who approves travel",
    ]
    assert "glpat-" not in out and "how do I request time off" not in out  # good answers are not listed
    slow = out.split("Slowest calls", 1)[1].splitlines()[3]
    assert "get_handbook_section" in slow and "900.0" in slow and "error" in slow
    assert "handbook  18        75.0%" in out and "*         6         25.0%" in out
    assert "Refreshes and index age" in out and "handbook  1     0       1" in out
    assert "req-" not in out  # request ids and other log lines never reach the report


def test_without_query_text_the_report_says_how_to_get_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    stripped = tmp_path / "log"
    lines = []
    for line in LOG.read_text().splitlines():
        doc = report.parse(line)
        if doc is not None:
            doc.pop("query", None)
            line = json.dumps(doc)
        lines.append(line)
    stripped.write_text("\n".join(lines))
    out = _run(capsys, "dev", "--file", str(stripped))
    assert "15 such searches, but query text is not recorded: set THOTH_LOG_QUERIES=on" in out


@pytest.mark.parametrize(
    "query",
    [
        "my key is sk-live-0123456789abcdefghijklmnopqrstuv",
        "mail jane.doe@example.com",
        "a\x00b\x1b[31mred",
        "x" * 500,
    ],
)
def test_queries_are_printed_safely(query: str) -> None:
    shown = report.shown_query(query)
    assert len(shown) <= 80 and "\x00" not in shown and "\x1b" not in shown
    assert "0123456789abcdef" not in shown and "jane.doe" not in shown


def test_empty_and_garbage_input(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    junk = tmp_path / "junk"
    junk.write_bytes(b'\xff\xfe garbage\n{"_aws": []}\n[1, 2]\n')
    out = _run(capsys, "dev", "--file", str(junk))
    assert "no searches in this window" in out


@pytest.mark.parametrize(
    ("args", "message"),
    [
        (["dev", "--file", "/no/such/file"], "does not exist"),
        (["dev", "--since", "soon"], "is not a duration"),
        (["dev", "--top", "0"], "--top must be"),
    ],
)
def test_bad_options_are_clear_errors(
    args: list[str], message: str, capsys: pytest.CaptureFixture[str]
) -> None:
    assert cli.main(["report", *args]) == 1
    assert message in capsys.readouterr().err


def test_similarity_decides_low_when_records_carry_it(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from thoth.shared.metrics import Sink, record

    sink = Sink("dev", True, None)
    lines = []
    for query, score, similarity in (("good question", 1.0, 0.62), ("off-topic question", 0.9, 0.12)):
        values = {"ToolLatency": 5, "ToolCalls": 1, "ToolErrors": 0, "Results": 5, "ZeroResults": 0,
                  "TopScore": score, "TopSimilarity": similarity}  # fmt: skip
        lines.append(json.dumps(record(sink, {"Tool": "search_handbook"}, values, {"query": query})))
    log = tmp_path / "log"
    log.write_text("\n".join(lines))
    out = _run(capsys, "dev", "--file", str(log))
    assert "1 scoring below 0.3" in out and "off-topic question" in out and "good question" not in out
