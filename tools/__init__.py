"""Thoth's build, deploy and benchmark tooling; run from the repository root as `python -m tools.<part>`."""
