"""Bytes on the wire: Lambda/HTTP events and responses, the local HTTP server, API keys.

The lowest layer: it knows nothing of MCP. It never imports protocol/ or search/.
"""
