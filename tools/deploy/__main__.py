"""Entry point: `python -m tools.deploy <command> <env> ...` (the nox sessions call this)."""

from tools.deploy.cli import main

raise SystemExit(main())
