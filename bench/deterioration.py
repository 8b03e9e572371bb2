"""Observation recorded -> urgent step visible to the responder, and observations per second.

    .venv/bin/python -m bench.deterioration [N] [--sets 1500] [--clients 4] [--external URL]

Latency: N fresh residents (default 200) admitted to The Oaks through the API. For each, the
home's staff (`staff.oaks`) POST a full set scoring NEWS2 5, which routes to the urgent
community response team; then the responder (`ucr`, with their own token) polls
`GET /steps?kind=urgent_response&status=open&resident_id=..` until it lists the step. Reported:
sending the POST -> the first listing, and the POST alone; then the responder's urgent queue
(`GET /deteriorations`) with all those deteriorations open.

Throughput: ``--sets`` sets through the API from ``--clients`` threads, then as many again
straight through the service (`record_observations` after loading the actor, one transaction
each, as the route does) from as many threads, counting SQL statements per set. Nine in ten
are routine (NEWS2 0, for a pool of well residents: stored, nothing opens); one in ten scores
NEWS2 5 for a resident without an open deterioration (it opens one, with its urgent and
repeat-observations steps and their notifications). Every POST carries an Idempotency-Key, as
the app on a phone sends one.

With ``--external`` the product runs on that PostgreSQL server (an empty database) instead of
the embedded default.
"""

from __future__ import annotations

import argparse
import os
import threading
import time
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from datetime import UTC, datetime
from typing import Any

import httpx
from sqlalchemy import event, select

from bench.harness import (
    Product,
    admission_body,
    percentile,
    running_product,
    summary_ms,
    wait_for_outbox_drained,
)
from care.db import make_engine, make_session_factory, unit_of_work
from care.deterioration import service as deterioration
from care.deterioration.schemas import ObservationsIn
from care.directory.access import load_actor
from care.directory.models import User

#: NEWS2 5 (respiration 2, SpO2 1, pulse 1, temperature 1): urgent, to urgent community response.
ESCALATING = {"respiration_rate": 22, "spo2": 95, "on_oxygen": False, "systolic_bp": 130,
              "pulse": 105, "consciousness": "alert", "temperature": 38.5}
#: NEWS2 0: stored and charted; nothing opens (a score of 1-4 already asks for a same-day GP).
ROUTINE = {"respiration_rate": 16, "spo2": 97, "on_oxygen": False, "systolic_bp": 128,
           "pulse": 72, "consciousness": "alert", "temperature": 36.8}
ESCALATE_EVERY = 10
WELL_POOL = 100


def with_max(values: list[float]) -> str:
    return f"{summary_ms(values)}, max {max(values) * 1000:.0f} ms"


def admit(clients: list[httpx.Client], home_id: str, start: int, count: int) -> list[str]:
    """Admit ``count`` residents through the API; their ids, in order."""
    def one(i: int) -> str:
        response = clients[i % len(clients)].post(
            "/residents", json=admission_body(home_id, start + i))
        response.raise_for_status()
        return str(response.json()["resident"]["id"])

    with ThreadPoolExecutor(len(clients)) as pool:
        return list(pool.map(one, range(count)))


def post_set(client: httpx.Client, resident_id: str, body: dict[str, Any]) -> httpx.Response:
    return client.post(f"/residents/{resident_id}/observations", json=body,
                       headers={"Idempotency-Key": str(uuid.uuid4())})


def urgent_latency(staff: httpx.Client, ucr: httpx.Client,
                   resident_ids: list[str]) -> tuple[list[float], list[float]]:
    """Per resident: sending the escalating POST -> the responder's first GET that lists it."""
    visible, posts = [], []
    for resident_id in resident_ids:
        t0 = time.perf_counter()
        recorded = post_set(staff, resident_id, ESCALATING)
        t1 = time.perf_counter()
        assert recorded.status_code == 201, recorded.status_code
        assert recorded.json()["urgent_step"] is not None
        while True:
            found = ucr.get("/steps", params={"resident_id": resident_id, "status": "open",
                                              "kind": "urgent_response"})
            found.raise_for_status()
            if found.json()["items"]:
                break
        visible.append(time.perf_counter() - t0)
        posts.append(t1 - t0)
    return visible, posts


def plan(sets: int, well: list[str], fresh: list[str]) -> list[tuple[str, bool]]:
    """(resident, escalating) for each set: one in ten escalates, for a fresh resident."""
    return [(fresh[i // ESCALATE_EVERY], True) if i % ESCALATE_EVERY == 0
            else (well[i % len(well)], False) for i in range(sets)]


def ingest_api(clients: list[httpx.Client],
               work: list[tuple[str, bool]]) -> tuple[float, list[float]]:
    latencies: list[float] = []

    def one(i: int) -> None:
        resident_id, escalating = work[i]
        t0 = time.perf_counter()
        response = post_set(clients[i % len(clients)], resident_id,
                            ESCALATING if escalating else ROUTINE)
        latencies.append(time.perf_counter() - t0)
        assert response.status_code == 201, response.status_code
        assert (response.json()["urgent_step"] is not None) == escalating

    started = time.perf_counter()
    with ThreadPoolExecutor(len(clients)) as pool:
        list(pool.map(one, range(len(work))))
    return time.perf_counter() - started, latencies


def ingest_service(product: Product, threads: int, work: list[tuple[str, bool]]) -> tuple[
        float, list[float], dict[bool, list[int]]]:
    """The same mix in-process: load the actor, record, commit; SQL statements per set."""
    engine = make_engine(product.database_url)
    per_thread: dict[int, int] = defaultdict(int)

    @event.listens_for(engine, "before_cursor_execute")
    def count(*_: object) -> None:
        per_thread[threading.get_ident()] += 1

    sessions = make_session_factory(engine)
    with unit_of_work(sessions) as session:
        user_id = session.scalars(select(User.id).where(User.username == "staff.oaks")).one()
    bodies = {flag: ObservationsIn.model_validate(b)
              for flag, b in ((True, ESCALATING), (False, ROUTINE))}
    latencies: list[float] = []
    statements: dict[bool, list[int]] = {True: [], False: []}

    def one(i: int) -> None:
        resident_id, escalating = work[i]
        before = per_thread[threading.get_ident()]
        t0 = time.perf_counter()
        with unit_of_work(sessions) as session:
            user = session.get(User, user_id)
            assert user is not None
            recorded = deterioration.record_observations(
                session, load_actor(session, user), uuid.UUID(resident_id), bodies[escalating],
                datetime.now(UTC))
            assert (recorded.urgent_step_id is not None) == escalating
        latencies.append(time.perf_counter() - t0)
        statements[escalating].append(per_thread[threading.get_ident()] - before)

    started = time.perf_counter()
    with ThreadPoolExecutor(threads) as pool:
        list(pool.map(one, range(len(work))))
    elapsed = time.perf_counter() - started
    engine.dispose()
    return elapsed, latencies, statements


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("n", type=int, nargs="?", default=200)
    parser.add_argument("--sets", type=int, default=1500)
    parser.add_argument("--clients", type=int, default=4)
    parser.add_argument("--external", help="SQLAlchemy URL of an empty database to use")
    args = parser.parse_args()
    fresh_needed = -(-args.sets // ESCALATE_EVERY)
    with running_product(args.external) as product:
        staff = [product.client("staff.oaks") for _ in range(args.clients)]
        ucr = product.client("ucr")
        home_id = next(h["id"] for h in staff[0].get("/homes").json()
                       if h["name"].startswith("The Oaks"))
        t0 = time.perf_counter()
        ids = admit(staff, home_id, 20_000, args.n + WELL_POOL + 2 * fresh_needed)
        admitted = time.perf_counter() - t0
        drained = wait_for_outbox_drained(product.database_url)
        latency_ids, rest = ids[:args.n], ids[args.n:]
        well, fresh_api, fresh_service = (rest[:WELL_POOL],
                                          rest[WELL_POOL:WELL_POOL + fresh_needed],
                                          rest[WELL_POOL + fresh_needed:])
        where = "external PostgreSQL" if args.external else "embedded PostgreSQL"
        print(f"{where}, {os.cpu_count()} CPUs: admitted {len(ids)} residents in "
              f"{admitted:.1f} s (runner followed {drained:.1f} s later)", flush=True)

        visible, posts = urgent_latency(staff[0], ucr, latency_ids)
        print(f"observation -> urgent step visible to the responder: {with_max(visible)}")
        print(f"  of which the POST /observations call:               {with_max(posts)}",
              flush=True)
        queue, listed = [], 0
        for _ in range(30):
            t0 = time.perf_counter()
            response = ucr.get("/deteriorations", params={"limit": 500})
            queue.append(time.perf_counter() - t0)
            response.raise_for_status()
            listed = len(response.json())
        print(f"responder's urgent queue, {listed} open (GET /deteriorations): "
              f"{with_max(queue)}", flush=True)

        work = plan(args.sets, well, fresh_api)
        escalating = sum(e for _, e in work)
        elapsed, latencies = ingest_api(staff, work)
        print(f"ingest via API ({args.clients} clients): {args.sets} sets "
              f"({args.sets - escalating} routine, {escalating} escalating) in {elapsed:.1f} s "
              f"= {args.sets / elapsed:.1f} /s; per call {with_max(latencies)}", flush=True)
        work = plan(args.sets, well, fresh_service)
        elapsed, latencies, statements = ingest_service(product, args.clients, work)
        print(f"ingest via the service in-process ({args.clients} threads): {args.sets} sets in "
              f"{elapsed:.1f} s = {args.sets / elapsed:.1f} /s; per set {with_max(latencies)}")
        for flag, label in ((False, "routine"), (True, "escalating")):
            counts = statements[flag]
            print(f"  SQL statements per {label} set (with loading the actor): "
                  f"p50 {percentile([float(c) for c in counts], 50):.0f}, max {max(counts)}")


if __name__ == "__main__":
    main()
