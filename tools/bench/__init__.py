"""Benchmarks that print figures and assert nothing: `python -m tools.bench.<refresh|mcp|layer|deploy>`."""
