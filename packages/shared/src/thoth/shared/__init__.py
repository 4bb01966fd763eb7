"""Thoth shared library: config, logging, storage, state, secrets, index format."""

__version__ = "0.1.0"
