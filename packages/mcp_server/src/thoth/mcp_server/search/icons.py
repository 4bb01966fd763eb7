"""The tools' and resource templates' icons (2025-11-25): small inline SVGs, one stroke colour.

Inline data: URIs, not https URLs, so a client never fetches anything to show them and the icons
work on a server with no public origin (stdio, a laptop).
"""

from __future__ import annotations

from typing import Final

from thoth.mcp_server.protocol.tools import svg_icon

_OPEN = (
    '<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 24 24" fill="none" stroke="#4f6bd8" '
    'stroke-width="1.8" stroke-linecap="round" stroke-linejoin="round">'
)
SEARCH: Final = svg_icon(_OPEN + '<circle cx="10.5" cy="10.5" r="6"/><path d="M15 15l5.5 5.5"/></svg>')
PAGE: Final = svg_icon(
    _OPEN + '<path d="M6 3h8l4 4v14H6z"/><path d="M14 3v4h4"/><path d="M9 12h6M9 16h6"/></svg>'
)
TOPICS: Final = svg_icon(_OPEN + '<path d="M4 6h2M4 12h2M4 18h2"/><path d="M9 6h11M9 12h11M9 18h11"/></svg>')
STATUS: Final = svg_icon(_OPEN + '<path d="M3 12h4l2.5-6 5 12 2.5-6h4"/></svg>')
