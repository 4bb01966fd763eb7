"""Front matter: YAML between '---' lines or TOML between '+++', size-capped and alias-free."""

from __future__ import annotations

import datetime as dt
import tomllib
from typing import Any

import yaml

from thoth.refresh_service.markup.budget import ParseError

# The handbook's largest front matter is about 2 KB; 64 KiB is metadata, anything more is a mistake
# or an attack (it used to be copied into every chunk of the page).
MAX_FRONT_MATTER_BYTES = 64 * 1024
# What a chunk carries of its page's front matter (the rest stays out of the index).
MAX_DESCRIPTION_CHARS = 1000
MAX_ALIASES = 50
MAX_ALIAS_CHARS = 300


class NoAliasLoader(yaml.SafeLoader):
    """SafeLoader that refuses aliases: `*a` shares nodes, so a few KB can expand to gigabytes."""

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            event = self.peek_event()  # type: ignore[no-untyped-call]
            raise ParseError(
                f"front matter uses a YAML alias (*{event.anchor}) at line {event.start_mark.line + 1}; "
                "aliases are not allowed in front matter, write the value out"
            )
        return super().compose_node(parent, index)


def _json_safe(value: Any) -> Any:
    if isinstance(value, dict):
        return {str(k): _json_safe(v) for k, v in value.items()}
    if isinstance(value, list | tuple):
        return [_json_safe(v) for v in value]
    if isinstance(value, dt.date | dt.datetime | dt.time):
        return value.isoformat()
    if isinstance(value, float) and value != value:  # NaN
        return None
    if value is None or isinstance(value, str | int | float | bool):
        return value
    return str(value)


def split_front_matter(lines: list[str]) -> tuple[dict[str, Any], int]:
    """Front matter and the number of lines it spans; ParseError names what is wrong and the fix."""
    if not lines or lines[0].strip() not in ("---", "+++"):
        return {}, 0
    fence = lines[0].strip()
    closers = ("---", "...") if fence == "---" else ("+++",)
    end = next((i for i in range(1, len(lines)) if lines[i].strip() in closers), None)
    if end is None:
        if fence == "---":
            return {}, 0  # a leading horizontal rule, not front matter
        raise ParseError("front matter opened with '+++' is never closed; add the closing '+++'")
    size = sum(len(line.encode()) for line in lines[1:end])
    if size > MAX_FRONT_MATTER_BYTES:
        raise ParseError(
            f"front matter is {size} bytes, over the {MAX_FRONT_MATTER_BYTES}-byte limit; "
            "move the data out of the front matter"
        )
    text = "".join(lines[1:end])
    kind = "TOML" if fence == "+++" else "YAML"
    try:
        data = tomllib.loads(text) if fence == "+++" else yaml.load(text, Loader=NoAliasLoader)  # noqa: S506
        data = _json_safe(data)
    except (yaml.YAMLError, tomllib.TOMLDecodeError, ValueError) as exc:
        first = str(exc).splitlines()[0] if str(exc) else type(exc).__name__
        raise ParseError(f"front matter is not valid {kind} ({first}); fix it") from None
    except RecursionError:
        raise ParseError(f"front matter {kind} nests too deeply; flatten it") from None
    if data is None:
        data = {}
    if not isinstance(data, dict):
        raise ParseError("front matter is not a mapping of fields (e.g. 'title: ...'); fix it")
    return data, end + 1


def _short(value: Any, limit: int) -> str | None:
    if not isinstance(value, str) or not value.strip():
        return None
    text = " ".join(value.split())
    return text if len(text) <= limit else text[: limit - 1] + "…"


def chunk_meta(meta: dict[str, Any]) -> dict[str, Any]:
    """The bounded part of the front matter every chunk of the page carries: description, aliases."""
    out: dict[str, Any] = {}
    description = _short(meta.get("description"), MAX_DESCRIPTION_CHARS)
    if description:
        out["description"] = description
    aliases = meta.get("aliases")
    if isinstance(aliases, str):
        aliases = [aliases]
    if isinstance(aliases, list):
        kept = [a for a in (_short(v, MAX_ALIAS_CHARS) for v in aliases[:MAX_ALIASES]) if a]
        if kept:
            out["aliases"] = kept
    return out
