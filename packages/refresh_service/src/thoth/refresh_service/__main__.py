"""Refresh one source: `python -m thoth.refresh_service <git-url-or-path> | --source NAME [--full] [--json]`.

A location is indexed as given (kind detected); `--source NAME` refreshes a source defined in the
sources config (`--config FILE`, else THOTH_SOURCES_CONFIG, else the store's config/sources.yaml).
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
import time
from pathlib import Path

from thoth.refresh_service.pipeline import Refresher
from thoth.refresh_service.report import Progress
from thoth.refresh_service.runs import RunOptions, Services
from thoth.refresh_service.runtime import build_services
from thoth.refresh_service.sources.definitions import (
    MARKUPS,
    SourceConfig,
    load_config,
    parse_source,
    redact_url,
)
from thoth.refresh_service.sources.git import is_remote
from thoth.shared.errors import ThothError
from thoth.shared.logging import configure, redact


def _default_name(location: str) -> str:
    stem = re.sub(r"\.git\Z", "", location.rstrip("/").rsplit("/", 1)[-1].rsplit(":", 1)[-1])
    name = re.sub(r"[^a-z0-9_-]+", "-", stem.lower()).strip("-_")
    return name[:63] or "source"


# Source settings a location given on the command line can carry (as flags of the same names).
SOURCE_OPTIONS = ("base_url", "include", "exclude", "strip_prefix", "markup", "token_secret")


def source_from_args(args: argparse.Namespace) -> SourceConfig:
    """A SourceConfig for a location given on the command line (kind detected)."""
    location: str = args.location
    if location.startswith("s3://"):
        kind = "s3"
    elif is_remote(location):
        kind = "git"
    else:
        path = Path(location)
        if not path.is_dir():
            raise ThothError(f"{location!r} is neither a directory nor a git/s3 URL; pass a path or a URL")
        kind = (
            "git"
            if (path / ".git").exists() or ((path / "HEAD").is_file() and (path / "objects").is_dir())
            else "dir"
        )
        location = str(path.resolve())
    raw: dict[str, object] = {
        "name": args.name or _default_name(location),
        "kind": kind,
        "location": location,
    }
    for key in ("ref", *SOURCE_OPTIONS):  # the options given, under their sources-file names
        if getattr(args, key):
            raw[key] = getattr(args, key)
    return parse_source(raw, "command line")


LOCATION_ONLY = ("name", *SOURCE_OPTIONS)


def named_source(args: argparse.Namespace, services: Services) -> SourceConfig:
    """The source `--source NAME` names in the sources config; an unknown name lists the known ones."""
    given = [f"--{o.replace('_', '-')}" for o in LOCATION_ONLY if getattr(args, o)]
    if given:
        raise ThothError(
            f"{', '.join(given)} describe a location; with --source the sources config defines them "
            "(edit the source there, or pass a location instead of --source)"
        )
    setting = args.config or services.refresh.sources_config
    configs = load_config(services.store, setting)
    if args.source not in configs:
        origin = args.config or setting or "the store's config/sources.yaml"
        raise ThothError(
            f"source {args.source!r} is not defined in {origin}; "
            f"defined sources: {', '.join(sorted(configs))}"
        )
    return configs[args.source]


class ProgressPrinter:
    """Periodic progress lines on stderr (files, chunks, embeddings/s, ETA)."""

    def __init__(self, interval_s: float = 2.0) -> None:
        self.interval_s = interval_s
        self.last = 0.0

    def __call__(self, p: Progress) -> None:
        now = time.monotonic()
        final = (p.stage == "parse" and p.files_done == p.files_total) or (
            p.stage == "embed" and p.embedded == p.to_embed
        )
        if now - self.last < self.interval_s and not final:
            return
        self.last = now
        if p.stage == "parse":
            line = f"parse: {p.files_done}/{p.files_total} files, {p.chunks} chunks"
        else:
            eta = f"{p.eta_s:.0f}s" if p.eta_s is not None else "?"
            line = (
                f"embed: {p.embedded}/{p.to_embed} new chunks ({p.chunks} total), "
                f"{p.rate:.1f} embeddings/s, ETA {eta}"
            )
        print(line, file=sys.stderr, flush=True)


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m thoth.refresh_service", description=__doc__)
    parser.add_argument(
        "location", nargs="?", help="git URL, local git repository, directory, or s3://bucket/prefix"
    )
    parser.add_argument("--source", help="refresh this source of the sources config instead of a location")
    parser.add_argument(
        "--config", help="sources config (YAML/TOML) for --source (default: THOTH_SOURCES_CONFIG)"
    )
    parser.add_argument("--name", help="source name (default: derived from the location)")
    parser.add_argument("--ref", help="git branch, tag or commit (default: HEAD)")
    parser.add_argument("--full", action="store_true", help="rebuild every file instead of only changed ones")
    parser.add_argument(
        "--json", action="store_true", help="print the run report as JSON on the last stdout line"
    )
    parser.add_argument("--base-url", help="public URL of the pages, e.g. https://handbook.example.com/")
    parser.add_argument(
        "--include", action="append", help="glob of files to index (repeatable; default **/*.md)"
    )
    parser.add_argument("--exclude", action="append", help="glob of files to leave out (repeatable)")
    parser.add_argument(
        "--strip-prefix", help="path prefix dropped from page URLs, e.g. content/ (Hugo: the content dir)"
    )
    parser.add_argument(
        "--markup",
        choices=MARKUPS,
        help="auto (default: Hugo or Eleventy when the root holds its config, or the pages use "
        "{%% %%} tags), hugo, eleventy, markdown",
    )
    parser.add_argument(
        "--token-secret",
        choices=["gitlab-token"],
        help="send this secret (THOTH_GITLAB_TOKEN locally) to an https:// git location; none by default",
    )
    args = parser.parse_args(argv)
    if (args.location is None) == (args.source is None):
        parser.error("pass a location or --source NAME (one of them)")
    if args.config and not args.source:
        parser.error("--config names the sources file for --source NAME")
    # Warnings as redacted JSON lines on stderr: stdout holds only the summary or the report.
    configure("WARNING", stream="stderr")
    logging.getLogger("urllib3").setLevel(logging.ERROR)  # connection retries: the error says it all
    try:
        services = build_services()
        config = named_source(args, services) if args.source else source_from_args(args)
    except ThothError as exc:
        print(f"error: {redact(str(exc))}", file=sys.stderr)
        return 2
    print(f"refreshing {config.describe()} into {services.store.describe()}", file=sys.stderr, flush=True)
    options = RunOptions(
        mode="full" if args.full else "incremental", ref=args.ref, progress=ProgressPrinter()
    )
    report = Refresher(config, services).run(options)
    for item in report.skipped[:20]:
        print(f"skipped {item['path']}: {item['reason']}", file=sys.stderr)
    if len(report.skipped) > 20:
        print(f"... and {len(report.skipped) - 20} more skipped files (see the JSON report)", file=sys.stderr)
    for warning in report.warnings[:20]:
        print(f"warning {warning['path'] or config.name}: {warning['warning']}", file=sys.stderr)
    if len(report.warnings) > 20:
        print(f"... and {len(report.warnings) - 20} more warnings (see the JSON report)", file=sys.stderr)
    print(redact(redact_url(report.summary())), file=sys.stderr if args.json else sys.stdout, flush=True)
    if args.json:
        print(redact(json.dumps(report.to_dict(), sort_keys=True)), flush=True)
    return 0 if report.status in ("ok", "unchanged", "partial") else 1


if __name__ == "__main__":
    sys.exit(main())
