"""Markup: bytes of a page → a clean Document (front matter, Hugo constructs, HTML → text)."""

from thoth.refresh_service.markup.budget import Budget, BudgetExceeded, ParseError
from thoth.refresh_service.markup.document import MARKDOWN_SUFFIXES, Document, parse_document, too_large
from thoth.refresh_service.markup.site import Site

__all__ = [
    "MARKDOWN_SUFFIXES",
    "Budget",
    "BudgetExceeded",
    "Document",
    "ParseError",
    "Site",
    "parse_document",
    "too_large",
]
