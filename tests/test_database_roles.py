"""Issue 8: connected as the application's role, nobody can empty or rewrite the audit trail.

Each attack the outside testers ran as the old superuser connection is refused by PostgreSQL
itself (SQLSTATE 42501, insufficient privilege), not by our code; the application's own work
on the same role succeeds (the rest of the suite runs on it too).
"""

from __future__ import annotations

from collections.abc import Iterator

import pytest
from sqlalchemy import select, text
from sqlalchemy.engine import Connection, Engine, make_url
from sqlalchemy.exc import DBAPIError
from sqlalchemy.orm import Session, sessionmaker

from care.audit.models import AuditEvent
from care.directory.access import load_actor
from care.journeys.models import JourneyEvent
from care.residents import service as residents
from care.residents.schemas import AdmissionIn
from care.settings import Settings
from carejourney.db_roles import (
    APP_ROLE,
    application_role,
    grant_application_role,
    least_privilege_problems,
)
from tests.conftest import START
from tests.factories import World, admission

REPLACE_FUNCTION = """
CREATE OR REPLACE FUNCTION audit_event_append_only() RETURNS trigger AS $$
BEGIN RETURN NULL; END $$ LANGUAGE plpgsql
"""

ATTACKS = {
    "truncate the audit trail": "TRUNCATE audit_event",
    "truncate the journey history": "TRUNCATE journey_event",
    "truncate through a cascade": "TRUNCATE app_user CASCADE",
    "delete audit rows": "DELETE FROM audit_event",
    "update audit rows": "UPDATE audit_event SET action = 'nothing happened'",
    "delete journey history": "DELETE FROM journey_event",
    "update journey history": "UPDATE journey_event SET kind = kind",
    "switch triggers off for the session": "SET session_replication_role = replica",
    "switch triggers off in every later session": (
        f"ALTER ROLE {APP_ROLE} SET session_replication_role = replica"),
    "disable every trigger": "ALTER TABLE audit_event DISABLE TRIGGER ALL",
    "disable the append-only trigger": "ALTER TABLE journey_event DISABLE TRIGGER USER",
    "drop the append-only trigger": "DROP TRIGGER audit_event_no_change ON audit_event",
    "replace the trigger function": REPLACE_FUNCTION,
    "drop the trigger function": "DROP FUNCTION audit_event_append_only() CASCADE",
    "drop the table": "DROP TABLE audit_event CASCADE",
    "take the table over": f"ALTER TABLE audit_event OWNER TO {APP_ROLE}",
    "grant itself delete, then delete": (
        f"GRANT DELETE ON audit_event TO {APP_ROLE}; DELETE FROM audit_event"),
    "create a table to hide things in": "CREATE TABLE public.scratch (id int)",
    "rewrite the schema's history": "DELETE FROM alembic_version",
    "rewrite a past version of the escalation ladder": (
        "UPDATE escalation_policy_version SET reason = 'nothing changed'"),
    "delete the escalation ladder's history": "DELETE FROM escalation_policy_version",
}


@pytest.fixture
def audited(world: World, sessions: sessionmaker[Session], settings: Settings) -> int:
    """An admission made the normal way (as the application role): audit and journey rows."""
    with sessions() as s, s.begin():
        staff = load_actor(s, world.users["staff.a"])
        body = admission(world.home_a.id, START.date())
        residents.admit(s, staff, AdmissionIn(**body), START, settings)
    with sessions() as s:
        count = len(s.scalars(select(AuditEvent.id)).all())
        assert s.scalars(select(JourneyEvent.id)).first() is not None
    return count


@pytest.fixture
def as_app(app_engine: Engine) -> Iterator[Connection]:
    with app_engine.connect() as conn:
        yield conn


def _refused(conn: Connection, sql: str) -> str:
    with pytest.raises(DBAPIError) as caught, conn.begin():
        conn.exec_driver_sql(sql)
    return str(getattr(caught.value.orig, "sqlstate", ""))


def test_the_suite_works_as_the_application_role_not_the_owner(
    sessions: sessionmaker[Session], database_url: str
) -> None:
    with sessions() as s:
        me = s.execute(text("SELECT current_user")).scalar_one()
        owner = s.execute(text(
            "SELECT tableowner FROM pg_tables WHERE tablename = 'audit_event'")).scalar_one()
    assert me == APP_ROLE
    assert owner == make_url(database_url).username != APP_ROLE


def test_the_application_role_is_login_and_nothing_more(as_app: Connection) -> None:
    row = as_app.execute(text(
        "SELECT rolcanlogin, rolsuper, rolcreaterole, rolcreatedb, rolreplication, rolbypassrls "
        "FROM pg_roles WHERE rolname = current_user")).one()
    assert tuple(row) == (True, False, False, False, False, False)
    owned = as_app.execute(text(
        "SELECT count(*) FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = 'public' AND c.relowner = (SELECT oid FROM pg_roles "
        "WHERE rolname = current_user)")).scalar_one()
    assert owned == 0
    assert least_privilege_problems(as_app) == []


@pytest.mark.parametrize("sql", ATTACKS.values(), ids=ATTACKS.keys())
def test_an_attack_on_the_record_is_refused(
    audited: int, as_app: Connection, engine: Engine, sql: str
) -> None:
    assert _refused(as_app, sql) == "42501"  # insufficient_privilege: refused, not tolerated
    with engine.connect() as owner:
        assert owner.execute(text("SELECT count(*) FROM audit_event")).scalar_one() == audited
        enabled = owner.execute(text(
            "SELECT tgenabled FROM pg_trigger WHERE tgname = 'audit_event_no_change'")).scalar()
        assert enabled == "O"


def test_no_table_can_be_truncated(as_app: Connection, engine: Engine) -> None:
    with engine.connect() as owner:
        tables = list(owner.execute(text(
            "SELECT tablename FROM pg_tables WHERE schemaname = 'public' ORDER BY 1")).scalars())
    assert len(tables) > 20
    for table in tables:
        assert _refused(as_app, f'TRUNCATE "{table}"') == "42501", table


def test_the_application_appends_to_the_record_and_reads_it(
    audited: int, as_app: Connection
) -> None:
    with as_app.begin():
        as_app.execute(text(
            "INSERT INTO audit_event (at, action, entity, channel) "
            "VALUES (now(), 'test', 'role', 'api')"))
    assert as_app.execute(text("SELECT count(*) FROM audit_event")).scalar_one() == audited + 1


def test_a_privilege_granted_by_hand_is_seen_then_removed_by_the_grant_step(
    world: World, engine: Engine, as_app: Connection
) -> None:
    try:
        with engine.begin() as owner:
            owner.exec_driver_sql(f"GRANT TRUNCATE ON step TO {APP_ROLE}")
            owner.exec_driver_sql(f"GRANT UPDATE ON audit_event TO {APP_ROLE}")
        problems = least_privilege_problems(as_app)
        assert "may TRUNCATE step" in problems
        assert "may UPDATE or DELETE append-only audit_event" in problems
    finally:
        with engine.begin() as owner:
            assert grant_application_role(owner, APP_ROLE)
    as_app.rollback()
    assert least_privilege_problems(as_app) == []


def test_the_owner_is_flagged_as_unfit_to_serve(engine: Engine) -> None:
    with engine.connect() as owner:
        problems = least_privilege_problems(owner)
    assert "is a superuser" in problems
    assert any(p.startswith("owns ") and "audit_event" in p for p in problems)
    assert any(p.startswith("owns functions audit_event_append_only") for p in problems)
    assert any(p.startswith("may TRUNCATE ") for p in problems)


def test_the_application_role_is_the_user_in_its_url() -> None:
    assert application_role("postgresql+psycopg://cj_web:pw@db/carejourney") == "cj_web"
    assert application_role("postgresql+psycopg://@/carejourney?host=/tmp") == APP_ROLE
    assert application_role("") == APP_ROLE
