"""Render: the comparison as JSON, a terminal report, Markdown or self-contained HTML."""

from __future__ import annotations

from .html import to_html
from .jsonform import to_json
from .markdown import to_markdown
from .terminal import print_report

__all__ = ["print_report", "to_html", "to_json", "to_markdown"]
