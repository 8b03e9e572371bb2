"""Two database roles: the schema owner migrates; the application role only does the work.

Issue 8: connected as a superuser, the application could empty the audit trail (TRUNCATE,
``session_replication_role = replica``, ``DISABLE TRIGGER ALL``, ``DROP TABLE``). The
application role owns nothing, holds no TRUNCATE anywhere, and on the append-only tables holds
SELECT and INSERT only, so neither a bug nor injected SQL on its connections can rewrite the
record. PostgreSQL enforces the rest: only an owner may alter, disable or drop a table's
triggers, replace a function, or drop a table; only a superuser may set
``session_replication_role``.
"""

from __future__ import annotations

import re

from sqlalchemy import text
from sqlalchemy.engine import Connection, make_url

APP_ROLE = "carejourney_app"
SCHEMA = "public"
# Guarded by the audit_event_append_only() trigger since the first migration. Any other table a
# migration puts under that trigger is found in the catalogue and treated the same way.
APPEND_ONLY = ("audit_event", "journey_event")
APPEND_ONLY_FUNCTION = "audit_event_append_only"
# The application may read which revision it runs on; only migrations write it.
READ_ONLY = ("alembic_version",)

_ROLE_NAME = re.compile(r"[a-z_][a-z0-9_]{0,62}")


class RoleError(ValueError):
    pass


def application_role(database_url: str | None) -> str:
    """The role the application connects as: the user in its URL, else ``carejourney_app``."""
    if database_url:
        user = make_url(database_url).username
        if user:
            return user
    return APP_ROLE


def with_role(url: str, role: str, password: str | None = None) -> str:
    """``url`` with another user (and password), same server and database."""
    return make_url(url).set(username=role, password=password).render_as_string(
        hide_password=False)


def _ident(role: str) -> str:
    # Role names are interpolated into DDL (no bind parameters there), so only plain ones pass.
    if not _ROLE_NAME.fullmatch(role):
        raise RoleError(f"role name {role!r}: use lower-case letters, digits and _ only")
    return f'"{role}"'


def _password_literal(conn: Connection, role: str, password: str) -> str:
    """The password hashed by libpq (SCRAM, as the server asks), so the clear text never
    reaches the server's statement log."""
    pgconn = conn.connection.driver_connection.pgconn  # type: ignore[union-attr]
    hashed = pgconn.encrypt_password(password.encode(), role.encode(), None).decode()
    if "'" in hashed or "\\" in hashed:
        raise RoleError("unexpected characters in the hashed password")
    return f"'{hashed}'"


def ensure_role(conn: Connection, role: str, password: str | None = None) -> bool:
    """Create ``role`` as LOGIN and nothing more, or strip an existing one back to that.

    Returns True if it was created. Needs a superuser or CREATEROLE. ``password`` None leaves an
    existing password alone (the embedded server authenticates its socket by trust).
    """
    name = _ident(role)
    secret = f" PASSWORD {_password_literal(conn, role, password)}" if password else ""
    # A DO block so two processes starting at once (tests, replicas) do not race to an error.
    created = conn.execute(text(
        "SELECT NOT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :role)"), {"role": role}
    ).scalar_one()
    conn.exec_driver_sql(
        f"DO $$ BEGIN CREATE ROLE {name} LOGIN NOSUPERUSER NOCREATEDB NOCREATEROLE "
        f"NOREPLICATION NOBYPASSRLS; EXCEPTION WHEN duplicate_object OR unique_violation "
        f"THEN NULL; END $$")
    row = conn.execute(text(
        "SELECT rolcanlogin, rolsuper, rolcreatedb, rolcreaterole, rolreplication, rolbypassrls "
        "FROM pg_roles WHERE rolname = :role"), {"role": role}).one()
    # Only the attributes that are wrong: naming SUPERUSER at all needs a superuser.
    wrong = [attr for attr, bad in zip(
        ("LOGIN", "NOSUPERUSER", "NOCREATEDB", "NOCREATEROLE", "NOREPLICATION", "NOBYPASSRLS"),
        (not row[0], *row[1:]), strict=True) if bad]
    if wrong or secret:
        conn.exec_driver_sql(f"ALTER ROLE {name} WITH {' '.join(wrong)}{secret}")
    return bool(created)


def append_only_tables(conn: Connection) -> list[str]:
    """The append-only tables that exist: the known ones and any under the append-only trigger."""
    return list(conn.execute(text(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = :schema AND c.relkind IN ('r', 'p') AND (c.relname = ANY(:known) "
        "  OR c.oid IN (SELECT t.tgrelid FROM pg_trigger t JOIN pg_proc p ON p.oid = t.tgfoid "
        "               WHERE p.proname = :fn AND NOT t.tgisinternal)) "
        "ORDER BY 1"), {"schema": SCHEMA, "known": list(APPEND_ONLY), "fn": APPEND_ONLY_FUNCTION}
    ).scalars())


def grant_application_role(conn: Connection, role: str) -> bool:
    """Give ``role`` exactly what the application needs on every table now in the schema.

    Run as the owner after every upgrade (migrations/env.py), in the transaction that created
    any new table, so grants follow each migration; a table the step has not seen is refused
    to the application (fail closed), never left open. Does nothing (returns False) if the role
    does not exist yet, is the connected role itself, or the connected role neither is a
    superuser nor owns the schema's tables (then it could not grant).
    """
    name = _ident(role)
    exists, is_self, superuser, owns_schema, owns_tables = conn.execute(text(
        "SELECT EXISTS (SELECT 1 FROM pg_roles WHERE rolname = :role), current_user = :role, "
        "(SELECT rolsuper FROM pg_roles WHERE rolname = current_user), "
        "pg_has_role(current_user, (SELECT nspowner FROM pg_namespace WHERE nspname = :schema),"
        "            'USAGE'), "
        "coalesce(pg_has_role(current_user, (SELECT relowner FROM pg_class "
        "         WHERE oid = to_regclass(:version)), 'USAGE'), false)"),
        {"role": role, "schema": SCHEMA, "version": f"{SCHEMA}.alembic_version"}).one()
    if not exists or is_self or not (superuser or owns_tables):
        return False
    schema = f'"{SCHEMA}"'
    if superuser or owns_schema:
        # Below PostgreSQL 15 a schema the owner does not own already grants USAGE to PUBLIC.
        conn.exec_driver_sql(f"GRANT USAGE ON SCHEMA {schema} TO {name}")
        conn.exec_driver_sql(f"REVOKE CREATE ON SCHEMA {schema} FROM {name}")
    for statement in (
        # From nothing each time, so a privilege granted by hand (TRUNCATE, TRIGGER) is removed.
        f"REVOKE ALL ON ALL TABLES IN SCHEMA {schema} FROM {name}",
        f"GRANT SELECT, INSERT, UPDATE, DELETE ON ALL TABLES IN SCHEMA {schema} TO {name}",
        f"REVOKE ALL ON ALL SEQUENCES IN SCHEMA {schema} FROM {name}",
        f"GRANT USAGE, SELECT ON ALL SEQUENCES IN SCHEMA {schema} TO {name}",
    ):
        conn.exec_driver_sql(statement)
    for table in append_only_tables(conn):
        conn.exec_driver_sql(f'REVOKE UPDATE, DELETE ON {schema}."{table}" FROM {name}')
    existing = set(conn.execute(text(
        "SELECT tablename FROM pg_tables WHERE schemaname = :schema"), {"schema": SCHEMA}
    ).scalars())
    for table in READ_ONLY:
        if table in existing:
            conn.exec_driver_sql(f'REVOKE INSERT, UPDATE, DELETE ON {schema}."{table}" FROM {name}')
    return True


def _names(rows: list[str], limit: int = 5) -> str:
    shown = ", ".join(rows[:limit])
    return shown + (f" and {len(rows) - limit} more" if len(rows) > limit else "")


def least_privilege_problems(conn: Connection) -> list[str]:
    """What the connected role could do to the record that the application never should.

    Empty for a proper application role. Checked by the product before it serves in
    production; memberships count (a member of the owner acts as the owner).
    """
    problems: list[str] = []
    role = conn.execute(text(
        "SELECT rolsuper, rolcreaterole, rolcreatedb FROM pg_roles WHERE rolname = current_user"
    )).one()
    for flag, what in zip(role, ("is a superuser", "can create roles (CREATEROLE)",
                                 "can create databases (CREATEDB)"), strict=True):
        if flag:
            problems.append(what)
    params = {"schema": SCHEMA}
    schema = conn.execute(text(
        "SELECT pg_has_role(current_user, nspowner, 'MEMBER'), "
        "has_schema_privilege(current_user, oid, 'CREATE') "
        "FROM pg_namespace WHERE nspname = :schema"), params).one()
    if schema[0]:
        problems.append(f"owns schema {SCHEMA} (may drop any table in it)")
    elif schema[1]:
        problems.append(f"may create objects in schema {SCHEMA}")
    owned = list(conn.execute(text(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = :schema AND c.relkind IN ('r', 'p', 'S', 'v', 'm') "
        "AND pg_has_role(current_user, c.relowner, 'MEMBER') ORDER BY 1"), params).scalars())
    if owned:
        problems.append(f"owns {_names(owned)} (may alter, disable triggers on or drop them)")
    functions = list(conn.execute(text(
        "SELECT p.proname FROM pg_proc p JOIN pg_namespace n ON n.oid = p.pronamespace "
        "WHERE n.nspname = :schema AND pg_has_role(current_user, p.proowner, 'MEMBER') "
        "ORDER BY 1"), params).scalars())
    if functions:
        problems.append(f"owns functions {_names(functions)} (may replace them)")
    truncate = list(conn.execute(text(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = :schema AND c.relkind IN ('r', 'p') "
        "AND has_table_privilege(current_user, c.oid, 'TRUNCATE') ORDER BY 1"), params
    ).scalars())
    if truncate:
        problems.append(f"may TRUNCATE {_names(truncate)}")
    rewritable = list(conn.execute(text(
        "SELECT c.relname FROM pg_class c JOIN pg_namespace n ON n.oid = c.relnamespace "
        "WHERE n.nspname = :schema AND c.relname = ANY(:tables) "
        "AND (has_table_privilege(current_user, c.oid, 'UPDATE') "
        "     OR has_table_privilege(current_user, c.oid, 'DELETE')) ORDER BY 1"),
        {**params, "tables": append_only_tables(conn)}).scalars())
    if rewritable:
        problems.append(f"may UPDATE or DELETE append-only {_names(rewritable)}")
    # From PostgreSQL 15 a superuser can grant SET on a superuser-only parameter.
    if conn.execute(text("SELECT current_setting('server_version_num')::int >= 150000")).scalar():
        replica = conn.execute(text(
            "SELECT has_parameter_privilege(current_user, 'session_replication_role', 'SET')"
        )).scalar_one()
        if replica and not role[0]:
            problems.append("may SET session_replication_role (switches triggers off)")
    return problems
