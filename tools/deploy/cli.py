"""Command line of the deploy tooling; every failure ends with one clear `error:` line and a non-zero code."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from tools.aws.errors import DeployError


def _parser() -> argparse.ArgumentParser:
    parser = argparse.ArgumentParser(prog="python -m tools.deploy")
    sub = parser.add_subparsers(dest="command", required=True)
    infra = sub.add_parser("infra", help="terraform plan|apply|destroy")
    infra.add_argument("env")
    infra.add_argument("action", choices=("plan", "apply", "destroy"))
    infra.add_argument("--yes", action="store_true", help="skip the prod confirmation")
    deploy = sub.add_parser("deploy", help="ship changed artifacts and move the live aliases")
    deploy.add_argument("env")
    deploy.add_argument("--json", action="store_true", help="print the summary as one JSON line last")
    deploy.add_argument("--no-build", action="store_true", help="use the artifacts as they are")
    deploy.add_argument("--layer", help="layer zip (default lambda-layers/thoth-mcp-layer.zip)")
    deploy.add_argument("--function", help="function zip (default lambda-functions/thoth-mcp-server.zip)")
    deploy.add_argument("--container", help="container metadata (default build/container.json)")
    deploy.add_argument("--skip-image", action="store_true", help="leave the refresh service alone")
    rollback = sub.add_parser("rollback", help="move `live` back (one step by default)")
    rollback.add_argument("env")
    rollback.add_argument("--to", dest="version", help="the version to move `live` to")
    rollback.add_argument("--function", choices=("mcp-server", "refresh-service"), default="mcp-server")
    logs = sub.add_parser("logs", help="aws logs tail of a function")
    logs.add_argument("env")
    logs.add_argument("function", nargs="?", choices=("mcp-server", "refresh-service"), default="mcp-server")
    logs.add_argument("--follow", action="store_true")
    logs.add_argument("--since", default="1h")
    refresh = sub.add_parser("refresh-remote", help="invoke the refresh function and print its report")
    refresh.add_argument("env")
    refresh.add_argument("source", nargs="?", default="all")
    doctor = sub.add_parser("doctor", help="check a live environment against the troubleshooting list")
    doctor.add_argument("env")
    report = sub.add_parser("report", help="zero-result and low-scoring queries, slowest calls, per source")
    report.add_argument("env", help="an environment, or `local` for THOTH_HOME/metrics.jsonl")
    report.add_argument("--since", default="24h", help="window, e.g. 30m, 24h, 7d (default 24h)")
    report.add_argument("--top", type=int, default=10, help="rows per table (default 10)")
    report.add_argument(
        "--low-score", type=float, default=0.3, help="a first result less similar than this (cosine) is low"
    )
    report.add_argument("--file", help="read a recorded log or metrics.jsonl file instead")
    local = sub.add_parser("local-aws", help="start|stop|status of the embedded AWS")
    local.add_argument("action", choices=("start", "stop", "status"))
    return parser


def main(argv: Sequence[str] | None = None) -> int:
    args = _parser().parse_args(argv)
    try:
        return _dispatch(args)
    except DeployError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print(
            "error: interrupted (Ctrl-C); nothing half-done is left on `live` (see the lines above)",
            file=sys.stderr,
        )
        return 130


def _report(args: argparse.Namespace) -> int:
    from pathlib import Path

    from tools.aws import envs
    from tools.ops import logs, report

    since = logs.parse_since(args.since)
    if not 1 <= args.top <= 1000 or not 0.0 <= args.low_score <= 1.0:
        raise DeployError("--top must be 1-1000 and --low-score 0-1")
    if args.file:
        path = Path(args.file)
        if not path.is_file():
            raise DeployError(f"--file {args.file!r} does not exist")
        with open(path, encoding="utf-8", errors="replace") as handle:
            return report.run(str(path), handle, top=args.top, low_score=args.low_score)
    if args.env == "local":
        home = envs.thoth_home()
        lines = report.local_lines(home, since)
        return report.run(f"local ({home}, last {args.since})", lines, top=args.top, low_score=args.low_score)
    from tools.aws.session import Session

    session = Session.open(args.env)
    lines = report.cloud_lines(session, since)
    where = f"{args.env} (CloudWatch Logs, last {args.since})"
    return report.run(where, lines, top=args.top, low_score=args.low_score)


def _dispatch(args: argparse.Namespace) -> int:
    # Imported per command so `--help` and argument errors stay instant.
    from tools import embedded_aws
    from tools.aws.session import Session

    if args.command == "local-aws":
        if args.action == "stop":
            print("embedded AWS stopped" if embedded_aws.stop() else "embedded AWS was not running")
            return 0
        if args.action == "start":
            local, started = embedded_aws.ensure()
        else:
            found = embedded_aws.current()
            if found is None:
                print("embedded AWS is not running")
                return 1
            local, started = found, False
        print(f"moto {local.aws_endpoint} registry {local.registry} ({'started' if started else 'running'})")
        return 0
    if args.command == "report":
        return _report(args)
    session = Session.open(args.env)
    if args.command == "infra":
        from tools.deploy import terraform

        return terraform.run(session, args.action, yes=args.yes)
    if args.command == "deploy":
        from tools.deploy import deploy

        return deploy.run(session, args)
    if args.command == "rollback":
        from tools.ops import rollback

        return rollback.rollback(session, args.function, args.version)
    if args.command == "logs":
        from tools.ops import logs

        return logs.logs(session, args.function, args.follow, args.since)
    if args.command == "refresh-remote":
        from tools.ops import refresh_remote

        return refresh_remote.refresh_remote(session, args.source)
    from tools.ops import doctor

    return doctor.run(session)
