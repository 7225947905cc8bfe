"""What the login's defences cost and allow: ``python -m bench.security``.

Rows: a login's time with its limits and audit event, and without (development with the limits set to 0); and,
counted by trying (not read from the settings), how many guesses one client address gets through before it is held
up: accounts sprayed an hour, passwords on one account before its lockout, attempts a minute, certificate checks a
minute. SQLite file in a temporary directory, the default settings otherwise.
"""

from __future__ import annotations

import statistics
import tempfile
import time
from pathlib import Path

from services import Actor, PracticeError, RateLimited, build_services
from settings import Settings

Row = tuple[str, str, str, str]


def _until_refused(call: object, limit: int = 500) -> int:
    """How many calls went through (right or wrong) before the first RateLimited or lockout."""
    for n in range(limit):
        try:
            call(n)  # type: ignore[operator]
        except RateLimited:
            return n
        except PracticeError as exc:
            if str(exc).startswith("Too many failed attempts"):
                return n
    return limit


def _login_ms(settings: Settings, runs: int = 40) -> list[float]:
    services = build_services(settings)
    services.auth.create_user(Actor.system(), username="ann", role="trainee", password="password-ann")
    samples = []
    for i in range(runs):
        start = time.perf_counter()
        services.auth.login("ann", "password-ann", client=f"10.0.{i // 250}.{i % 250}")
        samples.append(time.perf_counter() - start)
    return samples


def security_rows() -> list[Row]:
    rows: list[Row] = []
    with tempfile.TemporaryDirectory() as tmp:
        base = Path(tmp)
        guarded = _login_ms(Settings(data_dir=base / "a"))
        bare = _login_ms(Settings(data_dir=base / "b", login_attempts_per_minute=0, login_accounts_per_hour=0))
        for name, samples in (("login with limits and audit event (argon2 verify, SQLite)", guarded),
                              ("login with the address limits off (development only; audit event kept)", bare)):
            ordered = sorted(samples)
            rows.append((name, f"{statistics.median(samples) * 1000:.1f} ms",
                         f"{ordered[int(len(ordered) * 0.95)] * 1000:.1f} ms", str(len(samples))))
        ratio = statistics.median(guarded) / statistics.median(bare)
        rows.append(("login time ratio, limits on / off", f"{ratio:.2f}x", "", ""))
        services = build_services(Settings(data_dir=base / "c"))
        system = Actor.system()
        for i in range(40):
            services.auth.create_user(system, username=f"user{i:02d}", role="trainee", password=f"password-{i:02d}")
        sprayed = _until_refused(lambda n: services.auth.login(f"user{n:02d}", "Winter2026!", client="spray"), 40)
        rows.append(("spraying: accounts one address tries before the hourly stop", str(sprayed), "", ""))
        guessed = _until_refused(lambda n: services.auth.login("user39", f"guess-{n}", client=f"g{n}"), 50)
        rows.append(("guessing one account (from many addresses): passwords checked before lockout", str(guessed),
                     "", ""))
        fast = _until_refused(lambda n: services.auth.login("user38", "password-38", client="fast"), 100)
        rows.append(("logins one address makes before the minute's stop", str(fast), "", ""))
        checks = _until_refused(lambda n: services.certification.check_certificate(f"CERT-AAAA-BBBB-{n:04d}",
                                                                                   client="verify"), 100)
        rows.append(("certificate checks one address makes before the minute's stop", str(checks), "", ""))
    return rows


if __name__ == "__main__":
    for name, median, p95, runs in security_rows():
        print(f"{name:<82} {median:>10} {p95:>10} {runs:>4}")
