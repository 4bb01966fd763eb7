"""MCP itself: JSON-RPC framing, revisions, the 2026-07-28 envelope, Host/Origin guards, the endpoint,
method dispatch, the tool and resource contracts. Imports transport/ only; never search/, numpy or
onnxruntime.
"""
