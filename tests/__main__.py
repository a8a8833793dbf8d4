"""`python -m tests`: the README's test command. Installs what the suite needs, checks lint,
format and types, then runs pytest.

The browser tests need Debian's chromium; it is installed when missing. In CI (CI=true) a
browser that cannot be installed fails the run instead of being skipped.
"""

from __future__ import annotations

import os
import shutil
import subprocess
import sys

CHROMIUM = "/usr/bin/chromium"


def ensure_chromium() -> None:
    if os.path.exists(CHROMIUM):
        return
    apt = shutil.which("apt-get")
    if apt is None:
        print(
            f"tests: {CHROMIUM} is missing and apt-get is not available to install it",
            file=sys.stderr,
        )
        return
    print("tests: installing chromium (Debian package)…", flush=True)
    subprocess.run([apt, "update", "-qq"], check=False)
    subprocess.run(
        [apt, "install", "-y", "-qq", "chromium"],
        check=False,
        env={**os.environ, "DEBIAN_FRONTEND": "noninteractive"},
    )


PACKAGES = [
    "board",
    "media",
    "platforms",
    "poster",
    "ws",
    "web",
    "ingest",
    "drafting",
    "migrations",
    "fetching",
    "alerts",
]
# Lint, format and types: each must pass before the suite runs (a failure stops the run).
CHECKS = [
    ["ruff", "check", "."],
    ["ruff", "format", "--check", "."],
    ["mypy", *PACKAGES],
    ["mypy", "--strict", "board", "ws", "fetching"],
]


def static_checks() -> int:
    for check in CHECKS:
        print("tests: " + " ".join(check), flush=True)
        code = subprocess.call([sys.executable, "-m", *check])
        if code:
            print(f"tests: {check[0]} failed; fix it before the suite runs", file=sys.stderr)
            return code
    return 0


def workers() -> list[str]:
    """pytest-xdist's options: a worker per core this process may run on (two at most: each
    test already runs a server, PostgreSQL and often a browser beside itself), handing out
    tests as workers free up (their lengths vary from milliseconds to a minute)."""
    cores = min(2, len(os.sched_getaffinity(0)))
    return ["-n", str(cores), "--dist", "worksteal"] if cores > 1 else []


def main() -> int:
    if not sys.argv[1:]:  # the whole run; `python -m tests <pytest args>` runs just those tests
        code = static_checks()
        if code:
            return code
    ensure_chromium()
    in_ci = os.environ.get("CI", "").lower() in ("1", "true", "yes")
    if in_ci and not os.path.exists(CHROMIUM):
        print(f"tests: {CHROMIUM} is required in CI and could not be installed", file=sys.stderr)
        return 1
    args = sys.argv[1:] or ["-q", "-p", "no:cacheprovider", "--durations=15", *workers()]
    return subprocess.call([sys.executable, "-m", "pytest", *args])


if __name__ == "__main__":
    sys.exit(main())
