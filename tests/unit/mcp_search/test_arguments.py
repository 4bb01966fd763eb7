"""Tool specs and argument validation: every malformed value is a ToolArgumentError naming the argument."""

from __future__ import annotations

import json
import math
import subprocess
import sys
from typing import Any

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from tests.support.mcp_search import call_tool, tool_specs
from thoth.mcp_server.protocol.tools import ToolArgumentError, UnknownToolError
from thoth.mcp_server.search.arguments import validate
from thoth.mcp_server.search.specs import SPECS

SCHEMAS = {spec.name: spec.input_schema for spec in SPECS}


def test_specs_are_in_fixed_order_with_schemas() -> None:
    specs = tool_specs()
    assert [s.name for s in specs] == [
        "search_handbook",
        "get_handbook_section",
        "list_topics",
        "index_status",
        "search",  # ChatGPT's connector pair, listed over HTTP (THOTH_CHATGPT_TOOLS=auto)
        "fetch",
    ]
    for spec in specs:
        assert spec.input_schema["type"] == "object"
        assert spec.input_schema["additionalProperties"] is False
        if spec.name in ("search", "fetch"):  # their contract is one text item holding JSON
            assert spec.output_schema is None and list(spec.input_schema["required"]) == [
                "query" if spec.name == "search" else "id"
            ]
        else:
            assert spec.output_schema is not None and spec.output_schema["type"] == "object"
        assert spec.annotations["readOnlyHint"] is True
        assert spec.title and spec.annotations["title"] == spec.title  # clients show one or the other
        assert len(spec.icons) == 1 and spec.icons[0].src.startswith("data:image/svg+xml;base64,")
        json.dumps(spec.input_schema)  # serializable as-is for tools/list
    assert tool_specs() == specs and tool_specs() is not tool_specs()


def test_defaults_are_filled() -> None:
    assert validate("search_handbook", SCHEMAS["search_handbook"], {"query": "x"}) == {
        "query": "x",
        "limit": 5,
        "spread_pages": True,
    }
    assert validate("get_handbook_section", SCHEMAS["get_handbook_section"], {"path": "a.md"}) == {
        "path": "a.md",
        "max_chars": 8000,
        "with_parent": False,
    }
    assert validate("index_status", SCHEMAS["index_status"], None) == {}
    assert validate("list_topics", SCHEMAS["list_topics"], {}) == {}


def test_integral_float_counts_as_integer() -> None:
    checked = validate("search_handbook", SCHEMAS["search_handbook"], {"query": "x", "limit": 7.0})
    assert checked["limit"] == 7 and isinstance(checked["limit"], int)


BAD: list[tuple[str, Any, str]] = [
    ("search_handbook", {}, "'query' is required"),
    ("search_handbook", {"query": 3}, "'query' must be a string, got a number"),
    ("search_handbook", {"query": None}, "'query' must be a string, got null"),
    ("search_handbook", {"query": ["a"]}, "'query' must be a string, got an array"),
    ("search_handbook", {"query": ""}, "'query' is empty"),
    ("search_handbook", {"query": "x" * 1001}, "'query' is 1001 characters long; the limit is 1000"),
    ("search_handbook", {"query": "x", "limit": 0}, "'limit' = 0 is out of range; use 1 to 20"),
    ("search_handbook", {"query": "x", "limit": 21}, "'limit' = 21 is out of range"),
    ("search_handbook", {"query": "x", "limit": -5}, "'limit' = -5 is out of range"),
    ("search_handbook", {"query": "x", "limit": 2.5}, "'limit' must be an integer, got a number"),
    ("search_handbook", {"query": "x", "limit": True}, "'limit' must be an integer, got a boolean"),
    ("search_handbook", {"query": "x", "limit": "5"}, "'limit' must be an integer, got a string"),
    ("search_handbook", {"query": "x", "limit": math.nan}, "'limit' must be an integer"),
    ("search_handbook", {"query": "x", "limit": math.inf}, "'limit' must be an integer"),
    ("search_handbook", {"query": "x", "limit": 10**30}, "'limit' = 1000000000000000000000000000000 is out"),
    ("search_handbook", {"query": "x", "source": "Bad Name"}, "'source' = 'Bad Name' is malformed"),
    ("search_handbook", {"query": "x", "source": "../etc"}, "'source' = '../etc' is malformed"),
    ("search_handbook", {"query": "x", "source": 1}, "'source' must be a string"),
    ("search_handbook", {"query": "x", "path_prefix": ""}, "'path_prefix' is empty"),
    ("search_handbook", {"query": "x", "path_prefix": {}}, "'path_prefix' must be a string, got an object"),
    ("search_handbook", {"query": "x", "extra": 1}, "unknown argument(s) 'extra' for search_handbook"),
    ("search_handbook", {"query": "x", "Query": "y"}, "unknown argument(s) 'Query'"),
    ("search_handbook", [], "arguments of search_handbook must be an object, got an array"),
    ("search_handbook", "query", "must be an object, got a string"),
    ("search_handbook", 7, "must be an object, got a number"),
    ("get_handbook_section", {}, "'path' is required"),
    ("get_handbook_section", {"path": "a.md", "max_chars": 499}, "'max_chars' = 499 is out of range"),
    ("get_handbook_section", {"path": "a.md", "max_chars": 15001}, "'max_chars' = 15001 is out of range"),
    ("get_handbook_section", {"path": "a.md", "heading": ""}, "'heading' is empty"),
    ("get_handbook_section", {"path": "a.md", "cursor": ""}, "'cursor' is empty"),
    ("get_handbook_section", {"path": "a.md", "cursor": "x" * 513}, "'cursor' is 513 characters long"),
    ("get_handbook_section", {"path": "a.md", "cursor": 12}, "'cursor' must be a string"),
    ("get_handbook_section", {"path": "p" * 1025}, "'path' is 1025 characters long"),
    ("list_topics", {"prefix": 1}, "'prefix' must be a string"),
    ("list_topics", {"cursor": None}, "'cursor' must be a string, got null"),
    (
        "list_topics",
        {"sources": "x"},
        "'sources' for list_topics; allowed: source, prefix",
    ),
    ("index_status", {"verbose": True}, "unknown argument(s) 'verbose' for index_status; allowed: none"),
]


@pytest.mark.parametrize(("tool", "arguments", "message"), BAD)
def test_malformed_arguments_name_the_argument(tool: str, arguments: Any, message: str) -> None:
    with pytest.raises(ToolArgumentError) as caught:
        call_tool(tool, arguments)
    assert message in str(caught.value)


def test_blank_query_is_rejected_after_validation() -> None:
    with pytest.raises(ToolArgumentError, match="'query' is blank"):
        call_tool("search_handbook", {"query": " \n\t "})


@pytest.mark.parametrize("name", ["nope", "", "SEARCH_HANDBOOK", None, 3, ["search_handbook"], "x" * 10_000])
def test_unknown_tool(name: Any) -> None:
    with pytest.raises(UnknownToolError, match=r"unknown tool .*available: search_handbook"):
        call_tool(name, {})


JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=30),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=10), inner, max_size=4),
    max_leaves=12,
)
ARGUMENTS = (
    st.dictionaries(
        st.sampled_from(
            ["query", "limit", "source", "path_prefix", "path", "heading", "max_chars", "cursor", "prefix"]
        )
        | st.text(max_size=8),
        JSON,
        max_size=5,
    )
    | JSON
)


@settings(max_examples=250, deadline=None)
@given(tool=st.sampled_from(sorted(SCHEMAS)), arguments=ARGUMENTS)
def test_validation_never_crashes(tool: str, arguments: Any) -> None:
    try:
        checked = validate(tool, SCHEMAS[tool], arguments)
    except ToolArgumentError as exc:
        assert str(exc).startswith(("argument", "unknown argument", "arguments of"))
        return
    properties = SCHEMAS[tool]["properties"]
    assert set(checked) <= set(properties)
    for key, value in checked.items():
        kind = properties[key]["type"]
        if kind == "boolean":  # e.g. with_parent's default
            assert isinstance(value, bool)
        else:
            assert isinstance(value, int if kind == "integer" else str) and not isinstance(value, bool)


def test_import_is_light() -> None:
    """Importing the catalog, listing tools and resource templates pull no numpy, onnxruntime, boto3 or
    index format."""
    code = (
        "import sys, thoth.mcp_server.search.catalog as t; "
        "t.CATALOG.tool_specs(); t.CATALOG.resource_templates(); "
        "heavy = [m for m in ('numpy', 'onnxruntime', 'boto3', 'tokenizers', 'zstandard', "
        "'thoth.shared.index') "
        "if m in sys.modules]; print(heavy)"
    )
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True, check=True).stdout
    assert out.strip() == "[]"


@pytest.mark.parametrize("spec", SPECS, ids=lambda s: s.name)
def test_schemas_are_valid_json_schema(spec: Any) -> None:
    from jsonschema import Draft202012Validator

    Draft202012Validator.check_schema(spec.input_schema)
    Draft202012Validator.check_schema(spec.output_schema)


@settings(max_examples=300, deadline=None)
@given(tool=st.sampled_from(sorted(SCHEMAS)), arguments=ARGUMENTS)
def test_hand_validation_agrees_with_jsonschema(tool: str, arguments: Any) -> None:
    """The cold-start-friendly validator accepts exactly what a full JSON Schema validator accepts."""
    from jsonschema import Draft202012Validator

    reference = Draft202012Validator(SCHEMAS[tool]).is_valid(arguments if arguments is not None else {})
    try:
        validate(tool, SCHEMAS[tool], arguments)
    except ToolArgumentError:
        assert not reference
    else:
        assert reference or arguments is None
