"""Building the home-round agendas at an integrated care board's scale, and rendering one.

    .venv/bin/python -m bench.agendas [--homes 700] [--per-home 40] [--external URL]

Loads a synthetic ICB (homes x residents, with realistic history: assessments, care plans,
reviews, SMRs, falls, nominations) straight into a fresh database, then times the real
`prepare_round` for every home (each its own transaction, as the home-rounds flow runs it)
and counts its SQL statements. Finally it serves the product's web app and times the agenda
page (HTML) and the agenda API for a sample of homes, from outside with httpx.
"""

from __future__ import annotations

import argparse
import random
import tempfile
import threading
import time
import uuid
from datetime import UTC, date, datetime, timedelta
from datetime import time as dtime
from pathlib import Path

import httpx
import uvicorn
from sqlalchemy import create_engine, event, insert, text

from bench.harness import percentile, summary_ms, unique_nhs_number
from care.assessments.kinds import AssessmentStep
from care.db import make_session_factory, unit_of_work
from care.demo import DEMO_PASSWORD
from care.directory.models import CareHome, HomeMembership, HomeType, Pcn, User
from care.directory.service import hash_password
from care.journeys.models import Journey, JourneyStatus, Step, StepStatus
from care.residents.kinds import Stage
from care.residents.models import (
    DementiaStatus,
    Episode,
    EpisodeStart,
    Resident,
    ResidentStatus,
    Setting,
)
from care.rounds import service as rounds
from care.rounds.models import Nomination, ResidentEvent, ResidentEventKind
from care.settings import Settings
from care.types import Profession, Role
from carejourney.prefect_server import free_port
from tests.db import reset_and_migrate

NOW = datetime(2026, 11, 8, 10, 30, tzinfo=UTC)  # a Sunday: Tuesday rounds are preparing


def load_icb(engine_url: str, homes: int, per_home: int) -> list[uuid.UUID]:
    """Bulk-insert the synthetic ICB; returns the home ids."""
    engine = create_engine(engine_url)
    rng = random.Random(7)
    today = NOW.date()
    pcn_id, lead_id = uuid.uuid4(), uuid.uuid4()
    home_rows, member_rows, resident_rows, episode_rows = [], [], [], []
    journey_rows, step_rows, plan_rows, event_rows, nomination_rows = [], [], [], [], []
    home_ids = []
    for h in range(homes):
        home_id = uuid.uuid4()
        home_ids.append(home_id)
        home_rows.append(dict(
            id=home_id, pcn_id=pcn_id, name=f"Bench Home {h:03d}", home_type=HomeType.NURSING,
            beds=per_home + 5, cqc_location_id=f"1-9{h:08d}", ods_code=f"B{h:04d}",
            address="1 Bench Road", postcode="BE1 1NC", round_weekday=1,
            round_time=dtime(10), clinical_lead_id=lead_id))
        member_rows.append(dict(user_id=lead_id, home_id=home_id, is_home_representative=False))
        for r in range(per_home):
            n = h * per_home + r
            resident_id, episode_id, journey_id = uuid.uuid4(), uuid.uuid4(), uuid.uuid4()
            new = rng.random() < 0.05
            started = today - timedelta(days=rng.randint(1, 6) if new else rng.randint(30, 900))
            resident_rows.append(dict(
                id=resident_id, nhs_number=unique_nhs_number(n * 2), given_name="Bench",
                family_name=f"Resident{n}", date_of_birth=date(1935, 1, 1), home_id=home_id,
                gp_practice_ods="Y90001", gp_practice_name="Riverside",
                gp_in_aligned_pcn=rng.random() > 0.05,
                dementia_status=rng.choices(list(DementiaStatus), weights=(60, 25, 10, 5))[0],
                status=ResidentStatus.RESIDENT,
                created_at=NOW))
            episode_rows.append(dict(
                id=episode_id, resident_id=resident_id, home_id=home_id,
                setting=Setting.CARE_HOME,
                start_reason=EpisodeStart.READMISSION if rng.random() < 0.05
                else EpisodeStart.ADMISSION, started_on=started, created_at=NOW))
            stage = Stage.ASSESSMENT if new else Stage.UNDER_MDT_CARE
            journey_rows.append(dict(
                id=journey_id, resident_id=resident_id, home_id=home_id, stage=stage,
                status=JourneyStatus.ACTIVE, current_episode_id=episode_id, started_at=NOW,
                version=1))
            for kind in (AssessmentStep.HOLISTIC_ASSESSMENT, AssessmentStep.PCSP):
                done = not new
                step_rows.append(dict(
                    id=uuid.uuid4(), dedupe_key=f"{episode_id}:{kind.value}",
                    journey_id=journey_id, resident_id=resident_id, home_id=home_id,
                    episode_id=episode_id, kind=kind, title=kind.value,
                    status=StepStatus.COMPLETED if done else StepStatus.READY, priority=2,
                    candidate_group=f"home:{home_id}:mdt",
                    due_at=NOW + timedelta(days=5), deadline_rule="7-working-days-england/v1",
                    deadline_base=NOW, opened_at=NOW, version=1))
                if new:
                    break
            if not new:
                plan_rows.append(dict(
                    id=uuid.uuid4(), resident_id=resident_id, version=1, goals=[], actions=[],
                    escalation_wishes={"hospital_admission": "yes"}, agreed_with="resident",
                    review_date=today + timedelta(days=rng.randint(-10, 120)),
                    created_by_id=lead_id, created_at=NOW))
                # A steady state: most residents seen at a round in the last two months, and an
                # SMR since they arrived for most of those who have been here a while.
                event_rows.append(dict(
                    resident_id=resident_id, kind=ResidentEventKind.ROUND_REVIEW,
                    on=today - timedelta(days=rng.randint(1, 60)), data={}, created_at=NOW))
                stay_days = (today - started).days
                if rng.random() < 0.8 and stay_days > 20:
                    event_rows.append(dict(
                        resident_id=resident_id, kind=ResidentEventKind.SMR,
                        on=today - timedelta(days=rng.randint(10, min(stay_days - 5, 400))),
                        data={"medicines_count": rng.randint(2, 14)}, created_at=NOW))
            if rng.random() < 0.04:
                event_rows.append(dict(resident_id=resident_id, kind=ResidentEventKind.FALL,
                                       on=today - timedelta(days=rng.randint(0, 20)), data={},
                                       created_at=NOW))
            if rng.random() < 0.03:
                nomination_rows.append(dict(
                    id=uuid.uuid4(), home_id=home_id, resident_id=resident_id,
                    reason="Eating less", by_family=False, nominated_by_id=lead_id,
                    created_at=NOW))
    with engine.begin() as conn:
        conn.execute(insert(Pcn), [dict(id=pcn_id, name="Bench ICB PCN", ods_code="U00001",
                                        practice_ods_codes=["Y90001"])])
        conn.execute(insert(User), [dict(
            id=lead_id, username="lead.bench", display_name="Dr Bench", role=Role.CLINICAL_LEAD,
            password_hash=hash_password(DEMO_PASSWORD), profession=Profession.GP, pcn_id=pcn_id,
            active=True, created_at=NOW)])
        for table, rows in ((CareHome, home_rows), (HomeMembership, member_rows),
                            (Resident, resident_rows), (Episode, episode_rows),
                            (Journey, journey_rows), (Step, step_rows),
                            (ResidentEvent, event_rows), (Nomination, nomination_rows)):
            for start in range(0, len(rows), 5000):
                conn.execute(insert(table), rows[start:start + 5000])
        from care.assessments.models import CarePlan

        for start in range(0, len(plan_rows), 5000):
            conn.execute(insert(CarePlan), plan_rows[start:start + 5000])
        conn.execute(text("ANALYZE"))
    engine.dispose()
    return home_ids


def build_agendas(url: str, home_ids: list[uuid.UUID]) -> dict[str, float]:
    engine = create_engine(url, pool_size=2)
    statements = 0

    @event.listens_for(engine, "before_cursor_execute")
    def count(*_: object) -> None:
        nonlocal statements
        statements += 1

    sessions = make_session_factory(engine)
    settings = Settings(mode="demo", secret_key="x" * 40)
    per_home: list[float] = []
    agenda_sizes: list[int] = []
    started = time.perf_counter()
    for home_id in home_ids:
        t0 = time.perf_counter()
        with unit_of_work(sessions) as session:
            result = rounds.prepare_round(session, home_id, NOW, settings)
        per_home.append(time.perf_counter() - t0)
        agenda_sizes.append(result.agenda_size)
    total = time.perf_counter() - started
    engine.dispose()
    return {"total_s": total, "statements": statements, "homes": len(home_ids),
            "per_home": per_home, "agenda_mean": sum(agenda_sizes) / len(agenda_sizes)}


def time_agenda_pages(url: str, home_ids: list[uuid.UUID], samples: int = 60) -> tuple[
        list[float], list[float]]:
    from api.app import create_app
    from api.context import AppContext
    from care.clock import FrozenClock

    engine = create_engine(url)
    settings = Settings(mode="demo", secret_key="x" * 40, runner_enabled=False)
    app = create_app(AppContext(settings, engine, make_session_factory(engine),
                                FrozenClock(NOW)))
    port = free_port()
    server = uvicorn.Server(uvicorn.Config(app, host="127.0.0.1", port=port, log_level="error"))
    thread = threading.Thread(target=server.run, daemon=True)
    thread.start()
    while not server.started:
        time.sleep(0.05)
    with engine.connect() as conn:
        round_ids = [r[0] for r in conn.execute(text(
            "SELECT id FROM home_round ORDER BY random() LIMIT :n"), {"n": samples})]
    base = f"http://127.0.0.1:{port}"
    pages, api = [], []
    with httpx.Client(base_url=base, timeout=30) as web, httpx.Client(base_url=base) as client:
        login = web.get("/login")
        import re

        csrf = re.search(r'name="csrf_token" value="([^"]+)"', login.text)
        assert csrf is not None
        web.post("/login", data={"username": "lead.bench", "password": DEMO_PASSWORD,
                                 "csrf_token": csrf.group(1)})
        token = client.post("/api/v1/auth/token", data={"username": "lead.bench",
                                                         "password": DEMO_PASSWORD})
        client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        for round_id in round_ids:
            t0 = time.perf_counter()
            r = web.get(f"/rounds/{round_id}")
            pages.append(time.perf_counter() - t0)
            assert r.status_code == 200, r.status_code
            t0 = time.perf_counter()
            r = client.get(f"/api/v1/rounds/{round_id}")
            api.append(time.perf_counter() - t0)
            assert r.status_code == 200, r.text[:200]
    server.should_exit = True
    thread.join(10)
    engine.dispose()
    return pages, api


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--homes", type=int, default=700)
    parser.add_argument("--per-home", type=int, default=40)
    parser.add_argument("--external", help="SQLAlchemy URL of a database to use (reset!)")
    args = parser.parse_args()
    if args.external:
        url = args.external
    else:
        from carejourney import embedded

        url = embedded.start(Path(tempfile.mkdtemp(prefix="cj-agendas-"))).url()
    reset_and_migrate(url).dispose()
    t0 = time.perf_counter()
    home_ids = load_icb(url, args.homes, args.per_home)
    loaded = time.perf_counter() - t0
    where = "external PostgreSQL" if args.external else "embedded PostgreSQL"
    print(f"{where}: {args.homes} homes x {args.per_home} residents "
          f"(loaded in {loaded:.0f} s)", flush=True)
    for label in ("first build", "re-run"):  # the hourly flow re-runs it: an idempotent refresh
        b = build_agendas(url, home_ids)
        per = b["per_home"]
        print(f"  {label}: {b['total_s']:.1f} s for all homes; per home p50 "
              f"{percentile(per, 50) * 1000:.0f} ms, p95 {percentile(per, 95) * 1000:.0f} ms; "
              f"{b['statements']} SQL statements ({b['statements'] / b['homes']:.1f} per home); "
              f"mean agenda {b['agenda_mean']:.1f} residents", flush=True)
    pages, api = time_agenda_pages(url, home_ids)
    print(f"  agenda page (HTML): {summary_ms(pages)}")
    print(f"  agenda API:         {summary_ms(api)}")
    with create_engine(url).connect() as conn:
        print(f"  rounds: {conn.execute(text('SELECT count(*) FROM home_round')).scalar_one()}, "
              f"agenda items: {conn.execute(text('SELECT count(*) FROM agenda_item')).scalar_one()}"
              f", steps: {conn.execute(text('SELECT count(*) FROM step')).scalar_one()}")


if __name__ == "__main__":
    main()
