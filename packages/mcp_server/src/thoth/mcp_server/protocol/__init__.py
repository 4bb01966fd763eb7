"""MCP itself: JSON-RPC framing, revisions, the 2026-07-28 envelope, method dispatch, the tool and
resource contracts.

The core knows no wire: it imports nothing of transport/ nor of search/, and never numpy or onnxruntime.
"""
