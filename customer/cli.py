"""``python -m customer simulate``: play one session headless (contract in DESIGN.md)."""

from __future__ import annotations

import argparse
import json
from pathlib import Path
from typing import Any

from clitools import CliError, OneLineParser, run_cli


def parser() -> argparse.ArgumentParser:
    root = OneLineParser(prog="python -m customer")
    sub = root.add_subparsers(dest="command", required=True, parser_class=OneLineParser)
    sim = sub.add_parser("simulate", help="play one session headless and store it")
    sim.add_argument("--persona", required=True)
    sim.add_argument("--agent-lines", required=True, type=Path)
    sim.add_argument("--seed", type=int, default=0)
    sim.add_argument("--difficulty", choices=["easy", "normal", "hard"], default="normal")
    sim.add_argument("--backend", choices=["scripted", "local", "openai"], default="scripted")
    sim.add_argument("--database-url", default=None)
    sim.add_argument("--json", action="store_true", help="print the result as one JSON object")
    return root


def read_agent_lines(path: Path, max_chars: int) -> list[str]:
    try:
        raw = path.read_bytes()
    except FileNotFoundError:
        raise CliError(f"agent-lines file not found: {path}") from None
    except OSError as exc:
        raise CliError(f"cannot read agent-lines file {path}: {exc.strerror}") from None
    try:
        text = raw.decode("utf-8")
    except UnicodeDecodeError as exc:
        raise CliError(f"{path}: not UTF-8 text (byte {exc.start})") from None
    lines = []
    for number, line in enumerate(text.splitlines(), start=1):
        if len(line) > max_chars:
            raise CliError(f"{path}:{number}: line is {len(line):,} characters; the limit is {max_chars:,}")
        if line.strip():
            lines.append(line)
    if not lines:
        raise CliError(f"{path}: no agent lines (the file is empty)")
    return lines


def simulate(args: argparse.Namespace) -> dict[str, Any]:
    from services import Actor, PracticeError, build_practice_service
    from settings import Settings

    overrides: dict[str, Any] = {}
    if args.database_url:
        overrides["database_url"] = args.database_url
    settings = Settings(**overrides)
    lines = read_agent_lines(args.agent_lines, settings.max_message_chars)
    service = build_practice_service(settings)
    try:
        turn = service.start(Actor.system(), trainee="simulate", persona_slug=args.persona, difficulty=args.difficulty,
                             seed=args.seed, backend=args.backend)
        view = turn.finish()
        for line in lines:
            if turn.error:
                raise CliError(turn.error)
            if view is None or not view.active:
                break
            turn = service.send(Actor.system(), view.id, line)
            view = turn.finish()
        if turn.error:
            raise CliError(turn.error)
    except PracticeError as exc:
        raise CliError(str(exc)) from None
    assert view is not None
    return {
        "session_id": view.id,
        "persona": view.persona_slug,
        "backend": view.backend,
        "difficulty": view.difficulty,
        "seed": args.seed,
        "turns": [{"role": m.role, "content": m.content, "frustration": m.frustration}
                  | ({"speaker": m.speaker or view.persona_name} if m.role == "customer" else {})
                  for m in view.messages],
        "final_frustration": view.frustration,
        "ended_reason": view.ended_reason,
    }


def show(args: argparse.Namespace, result: dict[str, Any]) -> None:
    if args.json:
        print(json.dumps(result, ensure_ascii=False))
        return
    for t in result["turns"]:
        print(f"[{t['frustration']:>4}] {t.get('speaker', 'agent'):>14}: {t['content']}")
    print(f"session {result['session_id']}: ended_reason={result['ended_reason']} "
          f"final_frustration={result['final_frustration']}")


def main(argv: list[str] | None = None) -> int:
    return run_cli(parser(), argv, simulate, show)
