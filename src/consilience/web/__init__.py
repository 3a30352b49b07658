"""The web app and HTTP API over a store (``consilience serve``; needs ``pip install -e ".[web]"``)."""

from __future__ import annotations

from .app import create_app, write_token

__all__ = ["create_app", "write_token"]
