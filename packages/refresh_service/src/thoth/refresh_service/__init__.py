"""Thoth refresh service: ingest sources into versioned hybrid indexes."""

__version__ = "0.1.0"
