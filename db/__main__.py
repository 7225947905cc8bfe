"""``python -m db upgrade | export --format json|csv`` (each with ``--database-url URL``)."""

from __future__ import annotations

import argparse
import sys

from sqlalchemy.exc import SQLAlchemyError


class _Parser(argparse.ArgumentParser):
    def error(self, message: str) -> None:  # one line, exit 2
        print(f"error: {message}", file=sys.stderr)
        raise SystemExit(2)


def main(argv: list[str] | None = None) -> int:
    from db.export import export_csv, export_json
    from db.migrate import upgrade
    from db.engine import session_factory
    from settings import Settings

    parser = _Parser(prog="python -m db")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=_Parser)
    up = sub.add_parser("upgrade", help="apply all migrations")
    ex = sub.add_parser("export", help="print all sessions")
    ex.add_argument("--format", choices=["json", "csv"], required=True)
    for p in (up, ex):
        p.add_argument("--database-url", default=None)
    args = parser.parse_args(argv)
    url = args.database_url or Settings().database_url
    try:
        upgrade(url)
        if args.command == "upgrade":
            print(f"database at head: {url}", file=sys.stderr)
            return 0
        with session_factory(url)() as db:
            sys.stdout.write(export_json(db) if args.format == "json" else export_csv(db))
            if args.format == "json":
                sys.stdout.write("\n")
    except SQLAlchemyError as exc:
        print(f"error: database {url}: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 2
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
