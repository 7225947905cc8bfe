"""``python -m db upgrade | export --format json|csv | create-user --username U --role R [--team T]
[--full-name N] --password-stdin | create-team --name T | setup-token | verify-audit | verify-certificate CODE |
seed`` (each with ``--database-url URL``).

``setup-token`` prints a new one-time token for creating the first admin in the browser (outside development),
and exits 1 when accounts exist already.

``verify-audit`` exits 0 when the hash chain and every audited row match, 1 naming the first row that does not;
``verify-certificate`` exits 0 for a valid code, 1 otherwise; 2 on bad input (as every command here)."""

from __future__ import annotations

import argparse
import sys

from pydantic import ValidationError
from sqlalchemy.exc import SQLAlchemyError

from clitools import OneLineParser
from settings import Settings


def main(argv: list[str] | None = None) -> int:
    from db.engine import session_factory
    from db.migrate import upgrade
    from db.repositories import Work
    from services.export import export

    parser = OneLineParser(prog="python -m db")
    sub = parser.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    up = sub.add_parser("upgrade", help="apply all migrations")
    ex = sub.add_parser("export", help="print all sessions, each with its score of record (overrides applied)")
    ex.add_argument("--format", choices=["json", "csv"], required=True)
    cu = sub.add_parser("create-user", help="create an account (the password is read from standard input)")
    cu.add_argument("--username", required=True)
    cu.add_argument("--role", choices=["trainee", "trainer", "hr", "admin"], required=True)  # services.auth.ROLES
    cu.add_argument("--team", default=None, help="an existing team (see create-team)")
    cu.add_argument("--full-name", default=None, help="the name printed on certificates")
    cu.add_argument("--password-stdin", action="store_true", required=True)
    ct = sub.add_parser("create-team", help="add a team to the managed list (names are unique whatever their case)")
    ct.add_argument("--name", required=True)
    st = sub.add_parser("setup-token", help="print a new one-time token for creating the first admin in the browser")
    sd = sub.add_parser("seed", help="build a large realistic data set (for benchmarks)")
    sd.add_argument("--sessions", type=int, default=100_000)
    sd.add_argument("--messages-per-session", type=int, default=10)
    va = sub.add_parser("verify-audit", help="check the audit hash chain against the grades, overrides and roles")
    vc = sub.add_parser("verify-certificate", help="check a certificate's verification code")
    vc.add_argument("code")
    for p in (up, ex, cu, ct, st, sd, va, vc):
        p.add_argument("--database-url", default=None)
    args = parser.parse_args(argv)
    try:
        settings = Settings()
    except ValidationError as exc:  # e.g. ENVIRONMENT=production without SESSION_SECRET: one line per problem
        for error in exc.errors():
            print(f"error: settings: {str(error['msg']).removeprefix('Value error, ')}", file=sys.stderr)
        return 2
    url = args.database_url or settings.database_url
    try:
        upgrade(url)
        if args.command == "upgrade":
            print(f"database at head: {url}", file=sys.stderr)
            return 0
        if args.command == "create-user":
            return _create_user(url, args)
        if args.command == "create-team":
            return _create_team(url, args.name)
        if args.command == "setup-token":
            return _setup_token(url, settings)
        if args.command == "verify-audit":
            return _verify_audit(url)
        if args.command == "verify-certificate":
            return _verify_certificate(url, args.code)
        if args.command == "seed":
            from db.engine import cached_engine
            from db.seed import seed

            counts = seed(cached_engine(url), sessions=args.sessions, messages_per_session=args.messages_per_session)
            print(", ".join(f"{v:,} {k}" for k, v in counts.items()), file=sys.stderr)
            return 0
        with Work(session_factory(url))() as uow:
            sys.stdout.write(export(uow, args.format))
            if args.format == "json":
                sys.stdout.write("\n")
    except SQLAlchemyError as exc:
        print(f"error: database {url}: {str(exc).splitlines()[0]}", file=sys.stderr)
        return 2
    return 0


def _create_user(url: str, args: argparse.Namespace) -> int:
    from db.engine import session_factory
    from services.auth import AccountError, Actor, AuthService
    from services.views import PracticeError

    password = sys.stdin.readline().rstrip("\r\n")
    try:
        user = AuthService(session_factory(url)).create_user(Actor.system(), username=args.username, role=args.role,
                                                             password=password, team=args.team,
                                                             full_name=args.full_name, add_team=False)
    except AccountError as exc:
        team = " ".join((args.team or "").split())
        message = f"There is no team '{team}' (add it with: python -m db create-team --name TEAM)" \
            if exc.field == "team" else str(exc)
        print(f"error: {message}", file=sys.stderr)
        return 2
    except PracticeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"created {user.role} '{user.username}' (id {user.id})", file=sys.stderr)
    return 0


def _setup_token(url: str, settings: Settings) -> int:
    from db.engine import session_factory
    from services.first_run import FirstRunService

    issued = FirstRunService(session_factory(url), settings).issue_token()
    if issued is None:
        print("error: accounts exist already: log in as an admin (no setup token is needed)", file=sys.stderr)
        return 1
    print(issued.token)
    print(f"valid once, until {issued.expires_at:%Y-%m-%d %H:%M} UTC", file=sys.stderr)
    return 0


def _create_team(url: str, name: str) -> int:
    from db.engine import session_factory
    from services.auth import Actor
    from services.teams import TeamService
    from services.views import PracticeError

    try:
        team = TeamService(session_factory(url)).create(Actor.system(), name)
    except PracticeError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return 2
    print(f"created team '{team.name}' (id {team.id})", file=sys.stderr)
    return 0


def _verify_certificate(url: str, code: str) -> int:
    from services import build_services
    from settings import Settings

    check = build_services(Settings(database_url=url)).certification.verify_certificate(code)
    if not check.valid:
        print(f"INVALID {check.code}: {check.message}", file=sys.stderr)
        return 1
    issued = check.issued_at.strftime("%Y-%m-%d") if check.issued_at else "?"
    print(f"VALID {check.code}: {check.holder} passed '{check.campaign}' with {check.score} on {issued}")
    return 0


def _verify_audit(url: str) -> int:
    from db.audit import verify
    from db.engine import session_factory

    with session_factory(url)() as db:
        count, problem = verify(db)
    if problem is not None:
        print(f"audit check FAILED: {problem}", file=sys.stderr)
        return 1
    print(f"audit chain intact: {count:,} rows, every audited row matches", file=sys.stderr)
    return 0


if __name__ == "__main__":
    raise SystemExit(main())
