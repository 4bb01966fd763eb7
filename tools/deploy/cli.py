"""Command line of the deploy tooling; every failure ends with one clear `error:` line and a non-zero code."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Sequence

from tools.deploy.errors import DeployError


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


def _dispatch(args: argparse.Namespace) -> int:
    # Imported per command so `--help` and argument errors stay instant.
    from tools.deploy import local_aws
    from tools.deploy.session import Session

    if args.command == "local-aws":
        if args.action == "stop":
            print("embedded AWS stopped" if local_aws.stop() else "embedded AWS was not running")
            return 0
        if args.action == "start":
            local, started = local_aws.ensure()
        else:
            found = local_aws.current()
            if found is None:
                print("embedded AWS is not running")
                return 1
            local, started = found, False
        print(f"moto {local.aws_endpoint} registry {local.registry} ({'started' if started else 'running'})")
        return 0
    session = Session.open(args.env)
    if args.command == "infra":
        from tools.deploy import terraform

        return terraform.run(session, args.action, yes=args.yes)
    if args.command == "deploy":
        from tools.deploy import deploy

        return deploy.run(session, args)
    if args.command == "rollback":
        from tools.deploy import operate

        return operate.rollback(session, args.function, args.version)
    if args.command == "logs":
        from tools.deploy import operate

        return operate.logs(session, args.function, args.follow, args.since)
    if args.command == "refresh-remote":
        from tools.deploy import operate

        return operate.refresh_remote(session, args.source)
    from tools.deploy import doctor

    return doctor.run(session)
