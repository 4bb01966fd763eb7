"""MCP on the wire: Lambda/HTTP events, the HTTP binding (endpoint) and its Host/Origin/CORS guards, the
local HTTP server, stdio framing and the stdio session, and (in auth/) who may call.

Transport carries protocol/'s messages, so it imports protocol/; it never imports search/, numpy or
onnxruntime, which keeps /health and the first request's imports light.
"""
