"""Thoth refresh service: ingest sources into versioned hybrid indexes."""
