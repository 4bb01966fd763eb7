"""Source definitions: one per documentation source, from a YAML or TOML file, validated."""

from __future__ import annotations

import os
import re
import tomllib
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

import yaml

from thoth.shared.errors import ConfigError, ObjectNotFound
from thoth.shared.index.format import NAME_RE
from thoth.shared.storage import ObjectStore

KINDS = ("git", "dir", "s3")
DEFAULT_INCLUDE = ("**/*.md",)
DEFAULT_CONFIG_KEY = "config/sources.yaml"
_FIELDS = {
    "name",
    "kind",
    "location",
    "ref",
    "include",
    "exclude",
    "base_url",
    "strip_prefix",
    "token_secret",
    "markup",
}
MARKUPS = ("auto", "hugo", "eleventy", "markdown")
_SECRETS = ("gitlab-token",)


@dataclass(frozen=True)
class SourceConfig:
    """One named source: where its pages come from and how their URLs are built."""

    name: str
    kind: str
    location: str
    ref: str | None = None
    include: tuple[str, ...] = DEFAULT_INCLUDE
    exclude: tuple[str, ...] = ()
    base_url: str | None = None
    strip_prefix: str = ""
    token_secret: str | None = None
    # auto: Hugo when the root holds a Hugo config, Eleventy when it holds an Eleventy config or the
    # pages use Liquid/Nunjucks tags; hugo; eleventy; markdown (no generator: text as written)
    markup: str = "auto"
    extra: dict[str, Any] = field(default_factory=dict)

    def describe(self) -> str:
        return f"{self.kind} source {self.name!r} at {redact_url(self.location)}"

    @property
    def token_origin(self) -> tuple[str, str, int] | None:
        """(scheme, host, port) the source's token may be sent to; None when it names no token.

        parse_source admits token_secret only on https:// git locations, so this is always an
        https origin: the token's host is the location's host, and nothing else.
        """
        if self.token_secret is None:
            return None
        return https_origin(self.location)


def https_origin(location: str) -> tuple[str, str, int] | None:
    """The (scheme, host, port) of an https:// URL, else None (http, ssh, a path, a malformed URL)."""
    try:
        parts = urlsplit(location)
        port = parts.port or 443
    except ValueError:
        return None
    if parts.scheme.lower() != "https" or not parts.hostname:
        return None
    return ("https", parts.hostname.lower(), port)


# The authority of every URL in a text, up to its last '@': a password may itself hold '@'.
_USERINFO_RE = re.compile(r"(?<=://)[^/?#\s]*@")


def redact_url(location: str) -> str:
    """`location` (or any text) with every URL's user:password@ part removed (never print credentials)."""
    return _USERINFO_RE.sub("", location)


def _check_token(where: str, kind: str, location: str, token_secret: Any) -> None:
    """A token goes only where it was configured for: an https git location that names it."""
    if token_secret is None:
        return
    if token_secret not in _SECRETS:
        raise ConfigError(
            f"{where}: token_secret {token_secret!r} is unknown; use one of {', '.join(_SECRETS)}"
        )
    if kind != "git":
        raise ConfigError(f"{where}: token_secret applies only to git sources; remove it")
    if https_origin(location) is not None:
        return
    if location.lower().startswith("http://"):
        raise ConfigError(
            f"{where}: token_secret needs an https:// location; over plain http the token would cross "
            "the network in clear text: use the repository's https URL"
        )
    if location.startswith(("ssh://", "git@")) or re.match(r"^[\w.-]+@[\w.-]+:", location):
        raise ConfigError(
            f"{where}: an ssh location authenticates with an SSH key, not a token; remove token_secret "
            "or use the repository's https URL"
        )
    if "://" in location:
        raise ConfigError(
            f"{where}: token_secret needs an https://host/... location; {redact_url(location)!r} is not one"
        )
    raise ConfigError(f"{where}: a local repository needs no token; remove token_secret")


def _check_location_credentials(where: str, location: str) -> None:
    if "://" not in location:
        return
    authority = re.split(r"[/?#]", location.split("://", 1)[1], maxsplit=1)[0]
    if "@" in authority and ":" in authority.rsplit("@", 1)[0]:
        raise ConfigError(
            f"{where}: location {redact_url(location)!r} holds a password; sources files are not secret: "
            "store the token in the gitlab-token secret (THOTH_GITLAB_TOKEN locally) and set "
            "token_secret: gitlab-token"
        )


def _strings(value: Any, where: str, key: str) -> tuple[str, ...]:
    if isinstance(value, str):
        value = [value]
    if not isinstance(value, list) or not value or not all(isinstance(v, str) and v.strip() for v in value):
        raise ConfigError(f"{where}: {key} must be a glob or a non-empty list of globs, e.g. ['**/*.md']")
    return tuple(v.strip() for v in value)


def parse_source(raw: Any, where: str, base_dir: Path | None = None) -> SourceConfig:
    """Validate one source mapping; errors name the entry, the field and the fix."""
    if not isinstance(raw, Mapping):
        raise ConfigError(f"{where}: a source must be a mapping with name, kind and location")
    unknown = sorted(set(raw) - _FIELDS)
    if unknown:
        raise ConfigError(
            f"{where}: unknown field(s) {', '.join(map(str, unknown))}; known: {', '.join(sorted(_FIELDS))}"
        )
    name = raw.get("name")
    if not isinstance(name, str) or not NAME_RE.match(name):
        raise ConfigError(
            f"{where}: name {name!r} is invalid; use 1-63 of a-z, 0-9, '-', '_', starting alphanumeric"
        )
    where = f"{where} ({name})"
    kind = raw.get("kind")
    if kind not in KINDS:
        raise ConfigError(f"{where}: kind {kind!r} is invalid; use one of {', '.join(KINDS)}")
    location = raw.get("location")
    if not isinstance(location, str) or not location.strip():
        raise ConfigError(
            f"{where}: location is missing; set a git URL or path, a directory, or s3://bucket/prefix"
        )
    location = location.strip()
    if kind == "s3" and not re.match(r"^s3://[a-z0-9][a-z0-9.-]{1,61}[a-z0-9](/.*)?\Z", location):
        raise ConfigError(f"{where}: location {location!r} is not an s3://bucket/prefix URL")
    if kind == "dir" and base_dir is not None and not os.path.isabs(location):
        location = str((base_dir / location).resolve())
    local_git = kind == "git" and "://" not in location and not location.startswith("git@")
    if local_git and base_dir is not None and not os.path.isabs(location):
        location = str((base_dir / location).resolve())
    ref = raw.get("ref")
    if ref is not None and (not isinstance(ref, str) or not ref.strip() or kind != "git"):
        raise ConfigError(f"{where}: ref must be a branch, tag or commit, and only git sources have one")
    base_url = raw.get("base_url")
    if base_url is not None and (not isinstance(base_url, str) or not re.match(r"^https?://\S+\Z", base_url)):
        raise ConfigError(
            f"{where}: base_url {base_url!r} is not an http(s) URL, e.g. https://handbook.example.com/"
        )
    strip_prefix = raw.get("strip_prefix", "")
    if not isinstance(strip_prefix, str):
        raise ConfigError(f"{where}: strip_prefix must be a path prefix such as 'content/'")
    _check_location_credentials(where, location)
    token_secret = raw.get("token_secret")
    _check_token(where, kind, location, token_secret)
    markup = raw.get("markup", "auto")
    if markup not in MARKUPS:
        raise ConfigError(
            f"{where}: markup {markup!r} is invalid; use auto (Hugo when the source root holds a Hugo "
            "config, Eleventy when it holds an Eleventy config or its pages use {% %} tags), hugo, "
            "eleventy or markdown"
        )
    return SourceConfig(
        name=name,
        kind=kind,
        location=location,
        ref=ref.strip() if isinstance(ref, str) else None,
        include=_strings(raw.get("include", list(DEFAULT_INCLUDE)), where, "include"),
        exclude=_strings(raw["exclude"], where, "exclude") if raw.get("exclude") else (),
        base_url=base_url,
        strip_prefix=strip_prefix,
        token_secret=token_secret,
        markup=markup,
    )


def parse_config(text: str, fmt: str, origin: str, base_dir: Path | None = None) -> dict[str, SourceConfig]:
    """Sources from YAML or TOML text; `origin` names the file in errors."""
    try:
        data = tomllib.loads(text) if fmt == "toml" else yaml.safe_load(text)
    except (tomllib.TOMLDecodeError, yaml.YAMLError) as exc:
        raise ConfigError(
            f"{origin} is not valid {fmt.upper()}: {exc}".splitlines()[0] + "; fix the syntax"
        ) from None
    if not isinstance(data, Mapping) or not isinstance(data.get("sources"), list) or not data["sources"]:
        raise ConfigError(f"{origin}: expected a top-level 'sources' list with at least one source")
    sources: dict[str, SourceConfig] = {}
    for i, raw in enumerate(data["sources"]):
        source = parse_source(raw, f"{origin}: sources[{i}]", base_dir)
        if source.name in sources:
            raise ConfigError(f"{origin}: source name {source.name!r} is used twice; names must be unique")
        sources[source.name] = source
    return sources


def _format(name: str) -> str:
    if name.endswith(".toml"):
        return "toml"
    if name.endswith((".yaml", ".yml")):
        return "yaml"
    raise ConfigError(f"sources config {name!r} must end in .yaml, .yml or .toml")


def load_config(store: ObjectStore, setting: str | None = None) -> dict[str, SourceConfig]:
    """Sources from `setting` (THOTH_SOURCES_CONFIG: a path or `store:<key>`), else config/sources.yaml."""
    setting = (setting or "").strip()
    if setting and not setting.startswith("store:"):
        path = Path(setting)
        fmt = _format(path.name)
        try:
            text = path.read_text(encoding="utf-8")
        except (OSError, UnicodeDecodeError) as exc:
            raise ConfigError(
                f"THOTH_SOURCES_CONFIG={setting!r} cannot be read ({exc}); point it at a YAML/TOML file"
            ) from None
        return parse_config(text, fmt, str(path), path.resolve().parent)
    key = setting[len("store:") :] if setting else DEFAULT_CONFIG_KEY
    fmt = _format(key)
    try:
        data = store.get(key)
    except ObjectNotFound:
        raise ConfigError(
            f"no sources are configured: {key!r} is not in {store.describe()}; upload a sources file there "
            "or set THOTH_SOURCES_CONFIG to a YAML/TOML file (see samples/sources.yaml)"
        ) from None
    try:
        text = data.decode("utf-8")
    except UnicodeDecodeError:
        raise ConfigError(f"sources config {key!r} is not UTF-8 text; re-upload it") from None
    return parse_config(text, fmt, key)
