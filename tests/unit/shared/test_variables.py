"""The README's variable table is the environment contract in thoth.shared.env, row for row."""

from __future__ import annotations

import re
from pathlib import Path

import pytest

from thoth.shared.config import load_settings
from thoth.shared.env import KNOWN_THOTH_VARS, OWNERS, VARIABLES, declared, env_int, env_str
from thoth.shared.errors import ConfigError

README = Path(__file__).resolve().parents[3] / "README.md"
HEADER = "| variable | read by | default | what it does |"


def table_rows() -> list[str]:
    return [f"| `{v.name}` | {v.owner} | {v.default} | {v.help} |" for v in VARIABLES]


def test_readme_table_equals_the_declared_variables() -> None:
    text = README.read_text()
    assert HEADER in text, f"README.md lacks the variable table; add:\n{HEADER}\n| --- | --- | --- | --- |"
    block = text.split(HEADER, 1)[1].split("\n\n", 1)[0].strip().splitlines()[1:]
    expected = table_rows()
    assert block == expected, "README variable table is stale; replace its rows with:\n" + "\n".join(expected)


def test_every_variable_has_a_known_owner_and_one_row() -> None:
    names = [v.name for v in VARIABLES]
    assert len(names) == len(set(names))
    assert {v.owner for v in VARIABLES} <= set(OWNERS)
    assert all(re.fullmatch(r"[A-Z][A-Z0-9_]*", n) for n in names)
    assert set(declared("mcp_server")) <= KNOWN_THOTH_VARS


def test_unknown_thoth_variable_names_the_known_ones() -> None:
    with pytest.raises(ConfigError, match=r"unknown setting\(s\) THOTH_POINTER_TTL\b.*check the spelling"):
        load_settings({"THOTH_POINTER_TTL": "5"})
    # every declared variable is accepted, whichever service reads it
    assert load_settings({name: "" for name in KNOWN_THOTH_VARS}).environment == "local"


def test_parsers_refuse_an_undeclared_name() -> None:
    with pytest.raises(LookupError, match="not declared"):
        env_str({}, "THOTH_NOT_A_SETTING")


@pytest.mark.parametrize("raw", ["x", "1.5", "-1", "99999999999999999999", "nan"])
def test_int_parser_names_variable_and_range(raw: str) -> None:
    with pytest.raises(ConfigError, match=r"THOTH_MAX_BODY_BYTES=.* set a byte count between 1024 and 2048"):
        env_int({"THOTH_MAX_BODY_BYTES": raw}, "THOTH_MAX_BODY_BYTES", 1024, 1024, 2048, "a byte count")
