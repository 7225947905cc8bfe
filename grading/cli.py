"""``python -m grading FILE [FILE ...] | --session ID [--judge none|llm] [--database-url URL] --json`` and
``python -m grading agreement [--rubric-version N] [--database-url URL] --json``."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from clitools import CliError, OneLineParser, run_cli
from grading.report import GradeReport
from grading.transcript import Transcript, parse_transcript


def parser() -> argparse.ArgumentParser:
    p = OneLineParser(prog="python -m grading", description="Grade transcripts against the workshop rubric.")
    p.add_argument("files", nargs="*", type=Path, help="transcript JSON files")
    p.add_argument("--session", type=int, help="grade a stored session (and store the grade)")
    p.add_argument("--judge", choices=["none", "llm"], default=None, help="add the LLM judge pass")
    p.add_argument("--backend", choices=["openai", "local"], default=None,
                   help="judge model backend (default: JUDGE_BACKEND, else openai)")
    p.add_argument("--database-url", default=None)
    p.add_argument("--json", action="store_true", help="one JSON object per line")
    return p


def read_transcript(path: Path) -> Transcript:
    try:
        raw = json.loads(path.read_bytes().decode("utf-8"))
    except FileNotFoundError:
        raise CliError(f"transcript file not found: {path}") from None
    except UnicodeDecodeError as exc:
        raise CliError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    except json.JSONDecodeError as exc:
        raise CliError(f"{path}: not valid JSON (line {exc.lineno}, column {exc.colno}: {exc.msg})") from None
    except OSError as exc:
        raise CliError(f"cannot read {path}: {exc.strerror}") from None
    try:
        return parse_transcript(raw, str(path))
    except ValueError as exc:
        raise CliError(str(exc)) from None


def run(args: argparse.Namespace) -> list[dict[str, Any]]:
    from settings import Settings

    if bool(args.files) == (args.session is not None):
        raise CliError("give transcript FILEs or --session ID (one of them)")
    transcripts = [read_transcript(p) for p in args.files]
    overrides: dict[str, Any] = {"database_url": args.database_url} if args.database_url else {}
    try:
        settings = Settings(**overrides)
    except ValueError as exc:
        raise CliError(str(exc).splitlines()[0]) from None
    if args.session is not None:
        return [_grade_stored(settings, args)]
    return [report.contract() for report in _grade_files(settings, transcripts, args)]


def _grade_files(settings: Any, transcripts: list[Transcript], args: argparse.Namespace) -> list[GradeReport]:
    """Transcript files against the persona files: no services, no database (a read-only data directory is fine)."""
    from grading.context import grading_context, make_judge
    from grading.grader import grade
    from llm.models import ModelUnavailable
    from personas.loader import load_personas

    catalog = load_personas(settings.personas_dir)
    try:
        judge = make_judge(settings, args.judge, args.backend)
    except (ValueError, ModelUnavailable) as exc:
        raise CliError(f"The LLM judge cannot run: {exc}") from None
    return [grade(t, grading_context(catalog.personas.get(t.persona), t.persona), judge=judge).report
            for t in transcripts]


def _grade_stored(settings: Any, args: argparse.Namespace) -> dict[str, Any]:
    """A stored session, graded and the grade stored (the services and their database)."""
    from services import Actor, PracticeError, build_services

    services = build_services(settings)
    try:
        graded = services.grading.grade_session(Actor.system(), args.session, judge=args.judge, backend=args.backend)
    except PracticeError as exc:
        raise CliError(str(exc)) from None
    return graded.report_contract()


def show(args: argparse.Namespace, results: list[dict[str, Any]]) -> None:
    for result in results:
        if args.json:
            print(json.dumps(result, ensure_ascii=False))
        else:
            verdict = "PASS" if result["passed"] else "FAIL"
            print(f"{result['overall']:>3}/100 {verdict} ({result['status']})")
            for c in result["criteria"]:
                score = "n/a" if c["score"] is None else f"{c['score']}/{c['max']}"
                print(f"    {c['id']:<14} {score}")
            for flag in result["flags"]:
                print(f"    flag: {flag}")


def agreement_parser() -> argparse.ArgumentParser:
    p = OneLineParser(prog="python -m grading agreement",
                      description="How far the grader agrees with trainers' judgements, per criterion.")
    p.add_argument("--rubric-version", type=int, default=None, help="rubric version (default: the newest)")
    p.add_argument("--database-url", default=None)
    p.add_argument("--json", action="store_true", help="one JSON object")
    return p


def run_agreement(args: argparse.Namespace) -> dict[str, Any]:
    from services import Actor, PracticeError, build_services
    from settings import Settings

    try:
        settings = Settings(**({"database_url": args.database_url} if args.database_url else {}))
    except ValueError as exc:
        raise CliError(str(exc).splitlines()[0]) from None
    try:
        return build_services(settings).calibration.agreement(Actor.system(), args.rubric_version).contract()
    except PracticeError as exc:
        raise CliError(str(exc)) from None


def show_agreement(args: argparse.Namespace, table: dict[str, Any]) -> None:
    if args.json:
        print(json.dumps(table, ensure_ascii=False))
        return
    print(f"rubric version {table['rubric_version']}: trusted at >= {table['min_judged']} judged chats and "
          f"kappa >= {table['kappa_threshold']}")
    print(f"    {'criterion':<14} {'judged':>6} {'kappa':>7} {'exact':>6}  trusted")
    for c in table["criteria"]:
        kappa = "-" if c["kappa"] is None else f"{c['kappa']:.3f}"
        exact = "-" if c["exact"] is None else f"{c['exact']:.0%}"
        print(f"    {c['id']:<14} {c['judged']:>6} {kappa:>7} {exact:>6}  {'yes' if c['trusted'] else 'no'}")


def main(argv: list[str] | None = None) -> int:
    args = sys.argv[1:] if argv is None else argv
    if args[:1] == ["agreement"]:
        return run_cli(agreement_parser(), args[1:], run_agreement, show_agreement)
    return run_cli(parser(), args, run, show)
