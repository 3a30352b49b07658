"""``python -m consilience``: the command line."""

from .cli import run

run()
