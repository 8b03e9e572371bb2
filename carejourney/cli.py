"""`carejourney`: run the product, its runners and its maintenance commands."""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
from datetime import date
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent


def _fail(message: str, code: int = 2) -> None:
    print(f"carejourney: {message}", file=sys.stderr)
    raise SystemExit(code)


def _settings() -> Any:
    from pydantic import ValidationError

    from care.settings import get_settings

    try:
        return get_settings()
    except ValidationError as exc:
        _fail("; ".join(str(e["msg"]) for e in exc.errors()))


def prepare_database(settings: Any) -> str:
    """The application role's URL: the configured server's, or the embedded one's (started now).

    With the embedded server, ``settings.migration_database_url`` becomes its owner's URL and
    Prefect's own database lives beside ours; every child process inherits the application's
    URL (never the owner's) through the environment.
    """
    if settings.database_url:
        return str(settings.database_url)
    if settings.migration_database_url:
        _fail("CAREJOURNEY_MIGRATION_DATABASE_URL is set but CAREJOURNEY_DATABASE_URL is not: "
              "set both (an external server) or neither (the embedded one)")
    from carejourney import embedded

    db = embedded.start(settings.data_dir)
    settings.database_url = db.app_url()
    settings.migration_database_url = db.url()
    os.environ["CAREJOURNEY_DATABASE_URL"] = settings.database_url
    os.environ.setdefault("PREFECT_SERVER_DATABASE_CONNECTION_URL", db.prefect_url())
    return str(settings.database_url)


def owner_url(settings: Any) -> str | None:
    """The URL that migrates: the owner's; in demo mode a single external URL does both jobs.

    None in production without CAREJOURNEY_MIGRATION_DATABASE_URL: the application's own
    credentials never change the schema there.
    """
    if settings.migration_database_url:
        return str(settings.migration_database_url)
    if settings.mode == "demo":
        return str(settings.database_url)
    return None


def migrate(url: str, app_role: str | None = None) -> None:
    """Upgrade to head as ``url``'s role (the owner), then grant ``app_role`` its privileges."""
    from alembic import command
    from alembic.config import Config

    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["url"] = url
    config.attributes["app_role"] = app_role
    command.upgrade(config, "head")


def migrate_as_owner(settings: Any) -> None:
    """`migrate`: refuse rather than try the schema with the application's role."""
    url = owner_url(settings)
    if url is None:
        _fail("set CAREJOURNEY_MIGRATION_DATABASE_URL to the schema owner's URL to migrate in "
              "production (the application's role cannot change the schema, by design)")
    assert url is not None
    from carejourney.db_roles import application_role

    migrate(url, application_role(settings.database_url))


def migrate_or_check_current(settings: Any) -> None:
    """At start: migrate if we hold the owner's URL, else make sure someone has."""
    from carejourney.db_roles import application_role

    url = owner_url(settings)
    if url is not None:
        migrate(url, application_role(settings.database_url))
        return
    from alembic.config import Config
    from alembic.runtime.migration import MigrationContext
    from alembic.script import ScriptDirectory
    from sqlalchemy import create_engine, pool

    heads = set(ScriptDirectory.from_config(Config(str(ROOT / "alembic.ini"))).get_heads())
    engine = create_engine(settings.database_url, poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            current = set(MigrationContext.configure(conn).get_current_heads())
    finally:
        engine.dispose()
    if current != heads:
        _fail(f"the database is at {', '.join(sorted(current)) or 'no revision'}, this release "
              f"needs {', '.join(sorted(heads))}: run `carejourney migrate` with "
              "CAREJOURNEY_MIGRATION_DATABASE_URL set to the schema owner's URL")


def check_application_role(settings: Any) -> None:
    """Production refuses to run as a role that could rewrite the record; demo only warns."""
    from sqlalchemy import create_engine, pool, text

    from carejourney.db_roles import least_privilege_problems

    engine = create_engine(settings.database_url, poolclass=pool.NullPool)
    try:
        with engine.connect() as conn:
            role = conn.execute(text("SELECT current_user")).scalar_one()
            problems = least_privilege_problems(conn)
    finally:
        engine.dispose()
    if not problems:
        return
    message = (f"the application's database role {role!r} {'; '.join(problems)}: it could "
               "rewrite the audit trail. Connect CAREJOURNEY_DATABASE_URL as a role that owns "
               "nothing (`carejourney create-app-role`; README, 'Database roles')")
    if settings.mode == "production":
        _fail(message)
    print(f"carejourney: warning: {message}", file=sys.stderr)


def seed_demo_if_empty(url: str, settings: Any) -> bool:
    from care import demo
    from care.clock import SystemClock
    from care.db import make_engine, make_session_factory, unit_of_work

    engine = make_engine(url)
    try:
        with unit_of_work(make_session_factory(engine)) as session:
            if demo.already_seeded(session):
                return False
            demo.seed(session, SystemClock().now(), settings)
            return True
    finally:
        engine.dispose()


def start_prefect_server(settings: Any) -> subprocess.Popen[bytes] | None:
    """Our own Prefect server, on Prefect's database beside ours, unless PREFECT_API_URL is set."""
    if os.environ.get("PREFECT_API_URL"):
        return None
    from carejourney import prefect_server

    home = Path(settings.data_dir).resolve() / "prefect"
    os.environ.setdefault("PREFECT_HOME", str(home))
    database = os.environ.get("PREFECT_SERVER_DATABASE_CONNECTION_URL")
    if not database:
        import psycopg

        # Prefect's database is not our system of record: the owner may create and own it.
        try:
            database = prefect_server.prefect_database_url(
                owner_url(settings) or settings.database_url)
        except psycopg.Error as exc:
            _fail(f"cannot prepare Prefect's database beside ours ({exc}): set "
                  "PREFECT_SERVER_DATABASE_CONNECTION_URL, or PREFECT_API_URL")
    assert database is not None
    try:
        proc, api = prefect_server.start(database, home, settings.prefect_port)
    except prefect_server.PrefectServerError as exc:
        _fail(str(exc))
    os.environ["PREFECT_API_URL"] = api
    return proc


def _spawn(args: list[str], name: str, settings: Any) -> subprocess.Popen[bytes]:
    logs = Path(settings.data_dir).resolve() / "logs"
    logs.mkdir(parents=True, exist_ok=True)
    out = open(logs / f"{name}.log", "ab")  # noqa: SIM115 - lives as long as the child
    env = {**os.environ, "CAREJOURNEY_HOME": str(ROOT)}
    # Flow runs and the scheduler work with our data as the application role only.
    env.pop("CAREJOURNEY_MIGRATION_DATABASE_URL", None)
    return subprocess.Popen([sys.executable, *args], stdout=out, stderr=subprocess.STDOUT,
                            env=env, cwd=ROOT, start_new_session=True)


def _stop(procs: list[subprocess.Popen[bytes]]) -> None:
    for proc in procs:
        if proc.poll() is None:
            proc.terminate()
    for proc in procs:
        try:
            proc.wait(15)
        except subprocess.TimeoutExpired:
            proc.kill()


def build_runtime(settings: Any) -> Any:
    from care.clock import SystemClock
    from care.db import make_engine, make_session_factory
    from tasks.runtime import Runtime, configure

    engine = make_engine(settings.database_url)
    runtime = Runtime(settings, make_session_factory(engine), SystemClock())
    configure(runtime)
    return runtime, engine


def _exit_on_sigterm() -> None:
    """Turn SIGTERM into SystemExit so clean-up runs (uvicorn re-raises the signal it caught)."""
    import signal

    def handler(signum: int, frame: object) -> None:
        raise SystemExit(128 + signum)

    signal.signal(signal.SIGTERM, handler)


def cmd_serve(args: argparse.Namespace) -> None:
    _exit_on_sigterm()
    # Flow-run chatter stays in Prefect's UI and database, not on the console.
    os.environ.setdefault("PREFECT_LOGGING_LEVEL", "WARNING")
    settings = _settings()
    url = prepare_database(settings)
    migrate_or_check_current(settings)
    check_application_role(settings)
    if settings.mode == "demo" and not args.no_demo and seed_demo_if_empty(url, settings):
        print("Demo data created (synthetic people only).")
    children: list[subprocess.Popen[bytes]] = []
    try:
        if not args.no_prefect:
            server = start_prefect_server(settings)
            if server is not None:
                children.append(server)
            children.append(_spawn(["-m", "flows.scheduler"], "scheduler", settings))
        _serve_web(settings, args, with_runner=settings.runner_enabled and not args.no_runner)
    finally:
        _stop(children)


def _serve_web(settings: Any, args: argparse.Namespace, *, with_runner: bool) -> None:
    import uvicorn

    from api.app import create_app
    from api.context import AppContext

    runtime, engine = build_runtime(settings)
    runner = None
    delivery = None
    if with_runner:
        from flows.delivery import DeliveryWorker
        from flows.runner import JourneyRunner

        runner = JourneyRunner(runtime)
        runner.start_in_thread()
        delivery = DeliveryWorker(runtime)
        delivery.start_in_thread()
    app = create_app(AppContext(settings, engine, runtime.sessions, runtime.clock))
    host, port = args.host or settings.host, args.port or settings.port
    _banner(settings, host, port)
    try:
        uvicorn.run(app, host=host, port=port, log_level="warning", proxy_headers=True)
    finally:
        if delivery is not None:
            delivery.stop()
        if runner is not None:
            runner.stop()


def _banner(settings: Any, host: str, port: int) -> None:
    from care.delivery.transports import describe
    from care.demo import DEMO_PASSWORD, USERS

    print(f"\ncarejourney is running at http://{host}:{port}/  (API docs: /docs)")
    print(describe(settings))
    if os.environ.get("PREFECT_API_URL"):
        print(f"Prefect UI: {os.environ['PREFECT_API_URL'].removesuffix('/api')}")
    if settings.mode == "demo":
        print(f"Demo sign-ins (password '{DEMO_PASSWORD}', demo mode only):")
        for username, display, role, _, _ in USERS:
            print(f"  {username:<14} {display:<22} {role.value}")
    print("Press Ctrl+C to stop.\n", flush=True)


def cmd_runner(args: argparse.Namespace) -> None:
    """A journey runner only (scale-out): drains the journey and delivery outboxes until stopped."""
    import asyncio

    settings = _settings()
    if not settings.database_url:
        _fail("CAREJOURNEY_DATABASE_URL must be set for a stand-alone runner")
    check_application_role(settings)
    from care.delivery.transports import describe
    from flows.delivery import DeliveryWorker
    from flows.runner import JourneyRunner

    runtime, _ = build_runtime(settings)
    print(describe(settings), flush=True)
    # Alerts go out from every runner host: the delivery outbox is leased like the journeys'.
    delivery = DeliveryWorker(runtime)
    delivery.start_in_thread()
    try:
        asyncio.run(JourneyRunner(runtime).run_forever())
    finally:
        delivery.stop()


def cmd_migrate(args: argparse.Namespace) -> None:
    settings = _settings()
    prepare_database(settings)
    migrate_as_owner(settings)
    print("database is at the latest migration")


def cmd_create_app_role(args: argparse.Namespace) -> None:
    """Create (or reset) the application role named, with the password given, in
    CAREJOURNEY_DATABASE_URL, connected as CAREJOURNEY_MIGRATION_DATABASE_URL, and grant it
    its privileges on the tables already there."""
    from sqlalchemy import create_engine, pool, text
    from sqlalchemy.engine import make_url

    from carejourney.db_roles import RoleError, ensure_role, grant_application_role

    settings = _settings()
    if not settings.database_url or not settings.migration_database_url:
        _fail("set CAREJOURNEY_DATABASE_URL (the application role's URL, with its password) and "
              "CAREJOURNEY_MIGRATION_DATABASE_URL (a role that may create roles: a superuser, "
              "or the owner with CREATEROLE); the embedded server creates its role itself")
    app = make_url(settings.database_url)
    if not app.username or not app.password:
        _fail("CAREJOURNEY_DATABASE_URL must name the application role and its password")
    engine = create_engine(settings.migration_database_url, poolclass=pool.NullPool)
    try:
        with engine.begin() as conn:
            if conn.execute(text("SELECT current_user")).scalar_one() == app.username:
                _fail("CAREJOURNEY_DATABASE_URL names the migration role itself: the "
                      "application needs a role of its own")
            created = ensure_role(conn, str(app.username), app.password)
            granted = grant_application_role(conn, str(app.username))
    except RoleError as exc:
        _fail(str(exc))
    finally:
        engine.dispose()
    print(f"role {app.username} {'created' if created else 'reset to LOGIN only'}"
          f"{'; privileges granted on the current schema' if granted else ''}")


def cmd_seed_demo(args: argparse.Namespace) -> None:
    settings = _settings()
    if settings.mode != "demo":
        _fail("demo data can only be loaded in demo mode")
    url = prepare_database(settings)
    migrate_as_owner(settings)
    print("demo data created" if seed_demo_if_empty(url, settings) else "demo data already present")


def cmd_admit(args: argparse.Namespace) -> None:
    """Admit a resident as a named user; the journey starts exactly as through the API."""
    from pydantic import ValidationError
    from sqlalchemy import select

    from care.db import unit_of_work
    from care.directory.access import load_actor
    from care.directory.models import User
    from care.errors import DomainError
    from care.residents.schemas import AdmissionIn
    from care.residents.service import admit

    settings = _settings()
    url = prepare_database(settings)
    check_application_role(settings)
    runtime, _ = build_runtime(settings)
    try:
        data = AdmissionIn(
            nhs_number=args.nhs_number, given_name=args.given_name,
            family_name=args.family_name, date_of_birth=args.date_of_birth,
            home_id=args.home_id, admitted_on=args.admitted_on or date.today(),
            gp_practice_ods=args.gp_ods, gp_practice_name=args.gp_name,
        )
    except ValidationError as exc:
        _fail("; ".join(f"{'.'.join(map(str, e['loc']))}: {e['msg']}" for e in exc.errors()))
    try:
        with unit_of_work(runtime.sessions) as session:
            user = session.scalar(select(User).where(User.username == args.as_user))
            if user is None or not user.active:
                _fail(f"no active user {args.as_user!r}")
            assert user is not None
            actor = load_actor(session, user, channel="cli")
            resident, journey = admit(session, actor, data, runtime.clock.now(), settings)
            result = {"resident_id": str(resident.id), "journey_id": str(journey.id),
                      "stage": journey.stage}
    except DomainError as exc:
        _fail(f"{exc.field + ': ' if exc.field else ''}{exc.detail}")
    print(json.dumps(result))
    del url


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="carejourney", description=__doc__)
    sub = parser.add_subparsers(dest="command", required=True)
    serve = sub.add_parser("serve", help="run the product (embedded PostgreSQL by default)")
    serve.add_argument("--host")
    serve.add_argument("--port", type=int)
    serve.add_argument("--no-demo", action="store_true", help="do not load demo data")
    serve.add_argument("--no-runner", action="store_true",
                       help="web only (API replicas when runners run elsewhere)")
    serve.add_argument("--no-prefect", action="store_true",
                       help="do not start a Prefect server or the scheduler")
    serve.set_defaults(func=cmd_serve)
    sub.add_parser("runner", help="run a journey runner only").set_defaults(func=cmd_runner)
    sub.add_parser("migrate", help="apply database migrations (as the schema owner)"
                   ).set_defaults(func=cmd_migrate)
    sub.add_parser("create-app-role", help="create the application's least-privilege role on "
                   "an external server").set_defaults(func=cmd_create_app_role)
    sub.add_parser("seed-demo", help="load synthetic demo data").set_defaults(func=cmd_seed_demo)
    adm = sub.add_parser("admit", help="admit a resident and start their journey")
    adm.add_argument("--as", dest="as_user", required=True, help="username acting")
    adm.add_argument("--nhs-number", required=True)
    adm.add_argument("--given-name", required=True)
    adm.add_argument("--family-name", required=True)
    adm.add_argument("--date-of-birth", required=True, help="YYYY-MM-DD")
    adm.add_argument("--home-id", required=True)
    adm.add_argument("--admitted-on", help="YYYY-MM-DD (default today)")
    adm.add_argument("--gp-ods", required=True)
    adm.add_argument("--gp-name", required=True)
    adm.set_defaults(func=cmd_admit)
    args = parser.parse_args(argv)
    args.func(args)


if __name__ == "__main__":
    main()
