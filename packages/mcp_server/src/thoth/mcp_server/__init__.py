"""Thoth MCP server: stateless Streamable HTTP MCP on AWS Lambda."""
