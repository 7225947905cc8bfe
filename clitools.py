"""Shared by the command-line tools: bad input is one line on stderr and exit code 2, never a traceback."""

from __future__ import annotations

import argparse
import sys
from collections.abc import Callable
from typing import NoReturn, TypeVar

T = TypeVar("T")


class OneLineParser(argparse.ArgumentParser):
    def error(self, message: str) -> NoReturn:
        print(f"error: {message}", file=sys.stderr)
        raise SystemExit(2)


class CliError(Exception):
    """A one-line error for stderr; the exit code is 2."""


def run_cli(parser: argparse.ArgumentParser, argv: list[str] | None, run: Callable[[argparse.Namespace], T],
            show: Callable[[argparse.Namespace, T], None]) -> int:
    """Parse, run, and either ``show`` the result (exit 0) or print the :class:`CliError` (exit 2)."""
    args = parser.parse_args(argv)
    try:
        result = run(args)
    except CliError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    show(args, result)
    return 0
