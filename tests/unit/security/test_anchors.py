"""Finding 11: no validating regex accepts a trailing newline (`$` in Python matches before one)."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

from thoth.mcp_server.protocol.tools import ToolArgumentError
from thoth.mcp_server.search.arguments import ecma_anchors, validate
from thoth.mcp_server.search.specs import GET_HANDBOOK_SECTION, SEARCH_HANDBOOK, SOURCE_PATTERN
from thoth.refresh_service.sources.definitions import parse_source
from thoth.refresh_service.sources.snapshot import glob_regex
from thoth.shared.config import BUCKET_RE, ENV_NAME_RE, TABLE_RE
from thoth.shared.errors import ConfigError

PACKAGES = Path(__file__).resolve().parents[3] / "packages"
_RE_CALLS = {"compile", "match", "search", "fullmatch", "sub", "split", "findall", "finditer"}
# Owned by the index-format engineer (NAME_RE, object keys),
# who fix them in their branches; an entry that no longer exists is fine.
PENDING = {
    ("shared/src/thoth/shared/index/format.py", r"^[a-z0-9][a-z0-9_-]{0,62}$"),
    ("shared/src/thoth/shared/storage/base.py", r"^[A-Za-z0-9._+=@,-]+$"),
}


def _multiline(call: ast.Call) -> bool:
    return any("M" in ast.unparse(arg) for arg in [*call.args[1:], *(k.value for k in call.keywords)])


def _dollar_patterns() -> list[tuple[str, int, str]]:
    found = []
    for path in sorted(PACKAGES.rglob("*.py")):
        tree = ast.parse(path.read_text(encoding="utf-8"))
        for node in ast.walk(tree):
            if not (isinstance(node, ast.Call) and isinstance(node.func, ast.Attribute)):
                continue
            if not (isinstance(node.func.value, ast.Name) and node.func.value.id == "re"):
                continue
            if node.func.attr not in _RE_CALLS or not node.args or _multiline(node):
                continue
            for const in ast.walk(node.args[0]):
                if isinstance(const, ast.Constant) and isinstance(const.value, str):
                    text = const.value
                    if re.search(r"(?<!\\)\$", text):
                        rel = path.relative_to(PACKAGES).as_posix()
                        if (rel, text) not in PENDING:
                            found.append((rel, node.lineno, text))
    return found


def test_no_regex_in_packages_anchors_with_a_bare_dollar() -> None:
    assert _dollar_patterns() == [], "use \\Z (or fullmatch without anchors): `$` also matches before '\\n'"


@pytest.mark.parametrize("regex", [ENV_NAME_RE, BUCKET_RE, TABLE_RE, glob_regex("**/*.md")])
def test_settings_and_glob_regexes_refuse_a_trailing_newline(regex: re.Pattern[str]) -> None:
    value = {ENV_NAME_RE: "dev", BUCKET_RE: "thoth-bucket", TABLE_RE: "thoth-table"}.get(regex, "a/b.md")
    assert regex.match(value) and not regex.match(value + "\n")


@pytest.mark.parametrize("spec", [SEARCH_HANDBOOK, GET_HANDBOOK_SECTION])
def test_tool_source_argument_refuses_a_trailing_newline(spec: object) -> None:
    schema = spec.input_schema  # type: ignore[attr-defined]
    base = {"query": "time off"} if spec is SEARCH_HANDBOOK else {"path": "a.md"}
    assert validate(spec.name, schema, {**base, "source": "handbook"})["source"] == "handbook"  # type: ignore[attr-defined]
    with pytest.raises(ToolArgumentError, match="malformed"):
        validate(spec.name, schema, {**base, "source": "handbook\n"})  # type: ignore[attr-defined]


def test_the_published_pattern_stays_ecma_and_the_check_is_python_exact() -> None:
    assert SOURCE_PATTERN.endswith("$")  # JSON Schema patterns are ECMA-262: \Z is not valid there
    assert ecma_anchors(SOURCE_PATTERN).endswith(r"\Z")
    assert ecma_anchors(r"^a[$]b\$c$") == r"^a[$]b\$c\Z"


def test_base_url_with_a_trailing_newline_is_refused(tmp_path: Path) -> None:
    raw = {"name": "hb", "kind": "dir", "location": str(tmp_path), "base_url": "https://hb.example/\n"}
    with pytest.raises(ConfigError, match="base_url"):
        parse_source(raw, "t")
