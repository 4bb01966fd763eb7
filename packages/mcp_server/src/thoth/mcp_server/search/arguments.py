"""Validate tool arguments against the subset of JSON Schema the tool specs use (no jsonschema import)."""

from __future__ import annotations

import math
import re
from functools import lru_cache
from typing import Any

from thoth.mcp_server.protocol.tools import ToolArgumentError

_JSON_TYPES = {
    "string": "a string",
    "integer": "an integer",
    "number": "a number",
    "boolean": "true or false",
    "object": "an object",
    "array": "an array",
    "null": "null",
}


def _describe(value: Any) -> str:
    if value is None:
        return "null"
    if isinstance(value, bool):
        return "a boolean"
    if isinstance(value, int | float):
        return "a number"
    if isinstance(value, str):
        return "a string"
    if isinstance(value, list):
        return "an array"
    if isinstance(value, dict):
        return "an object"
    return type(value).__name__


def _coerce(kind: str, value: Any) -> tuple[bool, Any]:
    """Whether `value` is of JSON type `kind`, and the value as Python should see it."""
    if kind == "string":
        return isinstance(value, str), value
    if kind == "boolean":
        return isinstance(value, bool), value
    if kind == "null":
        return value is None, value
    if kind == "object":
        return isinstance(value, dict), value
    if kind == "array":
        return isinstance(value, list), value
    if isinstance(value, bool) or not isinstance(value, int | float):
        return False, value
    if isinstance(value, float) and not math.isfinite(value):
        return False, value
    if kind == "integer":
        # JSON Schema counts 5.0 as an integer; Python code downstream wants an int.
        if isinstance(value, float):
            return (value.is_integer(), int(value)) if value.is_integer() else (False, value)
        return True, value
    return kind == "number", value


def ecma_anchors(pattern: str) -> str:
    """A JSON Schema (ECMA-262) pattern for Python's `re`: each `$` outside a class becomes `\\Z`.

    Without the multiline flag ECMA's `$` matches only at the very end; Python's also matches
    before a final newline, so "handbook\\n" would pass `^[a-z]+$`.
    """
    out, i, in_class = [], 0, False
    while i < len(pattern):
        char = pattern[i]
        if char == "\\":
            out.append(pattern[i : i + 2])
            i += 2
            continue
        if char == "[":
            in_class = True
        elif char == "]":
            in_class = False
        out.append("\\Z" if char == "$" and not in_class else char)
        i += 1
    return "".join(out)


@lru_cache(maxsize=64)
def _pattern(text: str) -> re.Pattern[str]:
    return re.compile(ecma_anchors(text))


def _check(name: str, schema: dict[str, Any], value: Any) -> Any:
    kinds = schema.get("type")
    if kinds is not None:
        options = [kinds] if isinstance(kinds, str) else list(kinds)
        for kind in options:
            ok, coerced = _coerce(kind, value)
            if ok:
                value = coerced
                break
        else:
            wanted = " or ".join(_JSON_TYPES[k] for k in options)
            raise ToolArgumentError(f"argument '{name}' must be {wanted}, got {_describe(value)}")
    if isinstance(value, str):
        if "minLength" in schema and len(value) < schema["minLength"]:
            raise ToolArgumentError(
                f"argument '{name}' is empty; give at least {schema['minLength']} character(s)"
            )
        if "maxLength" in schema and len(value) > schema["maxLength"]:
            raise ToolArgumentError(
                f"argument '{name}' is {len(value)} characters long; the limit is {schema['maxLength']}"
            )
        if "pattern" in schema and not _pattern(schema["pattern"]).search(value):
            raise ToolArgumentError(
                f"argument '{name}' = {value[:80]!r} is malformed; it must match {schema['pattern']}"
            )
    if isinstance(value, int | float) and not isinstance(value, bool):
        low, high = schema.get("minimum"), schema.get("maximum")
        if (low is not None and value < low) or (high is not None and value > high):
            raise ToolArgumentError(f"argument '{name}' = {value} is out of range; use {low} to {high}")
    if "enum" in schema and value not in schema["enum"]:
        raise ToolArgumentError(f"argument '{name}' must be one of {', '.join(map(str, schema['enum']))}")
    return value


def validate(tool: str, schema: dict[str, Any], arguments: Any) -> dict[str, Any]:
    """Checked arguments with defaults filled in; ToolArgumentError names the first bad argument."""
    if arguments is None:
        arguments = {}
    if not isinstance(arguments, dict):
        raise ToolArgumentError(f"arguments of {tool} must be an object, got {_describe(arguments)}")
    properties: dict[str, Any] = schema.get("properties", {})
    unknown = sorted(str(key) for key in arguments if key not in properties)
    if unknown and schema.get("additionalProperties") is False:
        allowed = ", ".join(properties) or "none"
        shown = ", ".join(repr(key[:40]) for key in unknown[:5])
        raise ToolArgumentError(f"unknown argument(s) {shown} for {tool}; allowed: {allowed}")
    missing = [key for key in schema.get("required", []) if key not in arguments]
    if missing:
        raise ToolArgumentError(f"argument '{missing[0]}' is required by {tool}")
    checked: dict[str, Any] = {}
    for key, sub in properties.items():
        if key in arguments:
            checked[key] = _check(key, sub, arguments[key])
        elif "default" in sub:
            checked[key] = sub["default"]
    return checked
