"""A Hugo site's configuration, as `hugo` (production environment) merges it, and the keys Thoth uses.

Read: hugo.* / config.* at the root, config/_default/ and config/production/ (a file named after a
key holds that key: params.yaml → params). Only what decides pages, URLs, anchors and text is used.
"""

from __future__ import annotations

import json
import posixpath
import tomllib
from collections.abc import Callable, Mapping
from typing import Any

import yaml

CONFIG_NAMES = ("hugo", "config")
CONFIG_EXTS = ("toml", "yaml", "yml", "json")
ROOT_CONFIGS = tuple(f"{n}.{e}" for n in CONFIG_NAMES for e in CONFIG_EXTS)
CONFIG_DIRS = ("config/_default/", "config/production/")  # `hugo` builds the production environment
MAX_CONFIG_BYTES = 256 * 1024
# Sites share values between keys with YAML anchors (`&v` … `*v`); a handful is normal. Aliases share
# nodes, so many of them can describe a huge tree: past this count the file is refused.
MAX_CONFIG_ALIASES = 100


class _ConfigLoader(yaml.SafeLoader):
    """SafeLoader that allows a few aliases (config files use them) and refuses alias bombs."""

    aliases = 0

    def compose_node(self, parent: Any, index: Any) -> Any:
        if self.check_event(yaml.AliasEvent):
            self.aliases += 1
            if self.aliases > MAX_CONFIG_ALIASES:
                event = self.peek_event()  # type: ignore[no-untyped-call]
                raise ValueError(
                    f"over {MAX_CONFIG_ALIASES} YAML aliases (*{event.anchor} at line "
                    f"{event.start_mark.line + 1}); write the values out"
                )
        return super().compose_node(parent, index)


def parse_config(name: str, data: bytes) -> Any:
    """One config file's data; ValueError (or a parser's error) when it is too large or broken."""
    if len(data) > MAX_CONFIG_BYTES:
        raise ValueError(f"over {MAX_CONFIG_BYTES} bytes")
    text = data.decode("utf-8")
    if name.endswith(".toml"):
        return tomllib.loads(text)
    if name.endswith(".json"):
        return json.loads(text)
    return yaml.load(text, Loader=_ConfigLoader)  # noqa: S506 (a SafeLoader with an alias cap)


def get(data: Any, *keys: str) -> Any:
    """data[k1][k2]… with Hugo's case-insensitive keys; None when a step is missing."""
    value: Any = data
    for key in keys:
        if not isinstance(value, Mapping):
            return None
        lowered = {str(k).lower(): v for k, v in value.items()}
        value = lowered.get(key.lower())
    return value


def _merge(into: dict[str, Any], data: Mapping[str, Any]) -> None:
    for key, value in data.items():
        key = str(key)
        old = next((k for k in into if k.lower() == key.lower()), None)
        if old is not None and isinstance(into[old], dict) and isinstance(value, Mapping):
            _merge(into[old], value)
        else:
            if old is not None:
                del into[old]
            into[key] = dict(value) if isinstance(value, Mapping) else value


def config_files(files: Mapping[str, str]) -> list[str]:
    """The site's config files in merge order (later ones win)."""
    found = [p for p in ROOT_CONFIGS if p in files]
    for folder in CONFIG_DIRS:
        found += sorted(
            p
            for p in files
            if p.startswith(folder) and p.count("/") == 2 and p.rsplit(".", 1)[-1] in CONFIG_EXTS
        )
    return found


def load_config(paths: list[str], read: Callable[[str], bytes], warnings: list[str]) -> dict[str, Any]:
    """The merged configuration of `paths`; a file that cannot be read is a warning and is skipped."""
    merged: dict[str, Any] = {}
    for path in paths:
        try:
            data = parse_config(path, read(path))
        except Exception as exc:  # any broken config: defaults, and the report says why
            warnings.append(f"Hugo config {path} cannot be read ({type(exc).__name__}: {exc}); defaults used")
            continue
        if not isinstance(data, Mapping):
            continue
        stem = posixpath.splitext(posixpath.basename(path))[0]
        if "/" in path and stem not in CONFIG_NAMES:
            if "." in stem:
                continue  # menus.en.toml and kin: per-language files Thoth has no use for
            _merge(merged, {stem: data})  # config/_default/markup.toml holds `markup.*`
        else:
            _merge(merged, data)
    return merged
