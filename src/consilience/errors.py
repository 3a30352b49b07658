"""Errors users can cause and fix; the CLI turns them into one-line messages."""

from __future__ import annotations


class ConsilienceError(Exception):
    """Base class for every error the CLI reports without a traceback."""

    exit_code = 1


class UsageError(ConsilienceError):
    """An option's value the command cannot use (exit code 2, as argparse gives for a bad command line)."""

    exit_code = 2


class InputError(ConsilienceError):
    """An input could not be read as articles (names the input and the problem)."""

    exit_code = 2

    def __init__(self, source: str, problem: str) -> None:
        super().__init__(f"{source}: {problem}")
        self.source = source
        self.problem = problem


class NoArticlesError(ConsilienceError):
    """The inputs held no article at all."""

    exit_code = 3
