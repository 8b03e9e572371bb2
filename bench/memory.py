"""Memory and processes of the running product with 100 and with 10,000 waiting journeys.

    .venv/bin/python -m bench.memory

Waiting journeys are created through the domain service (the same code as the API) straight
into the product's database, and their advance signals marked done, as if the runner had
already run them: they are journeys waiting for people. The product is then exercised through
its API (work lists, stalled list) before each reading, and idles a few seconds.
"""

from __future__ import annotations

import time
from datetime import UTC, datetime

import httpx
import psutil
from sqlalchemy import select, text

from bench.harness import Product, admission_body, process_tree, running_product
from care.db import make_engine, make_session_factory, unit_of_work
from care.directory.access import load_actor
from care.directory.models import CareHome, User
from care.residents import service as residents
from care.residents.schemas import AdmissionIn
from care.settings import Settings


def add_waiting_journeys(product: Product, start: int, count: int) -> None:
    engine = make_engine(product.database_url)
    sessions = make_session_factory(engine)
    settings = Settings(mode="demo", secret_key="x" * 40)
    now = datetime.now(UTC)
    with unit_of_work(sessions) as session:
        user = session.scalars(select(User).where(User.username == "coordinator")).one()
        homes = session.scalars(select(CareHome.id)).all()
    for batch in range(start, start + count, 500):
        with unit_of_work(sessions) as session:
            actor = load_actor(session, session.merge(user))
            for n in range(batch, min(batch + 500, start + count)):
                body = admission_body(str(homes[n % len(homes)]), 50_000 + n)
                residents.admit(session, actor, AdmissionIn(**body), now, settings)
            session.execute(text("UPDATE journey_outbox SET processed_at = now() "
                                 "WHERE processed_at IS NULL"))
    engine.dispose()


def reading(product: Product, label: str) -> dict[str, float]:
    coordinator = product.client("coordinator")
    admin = product.client("admin")
    for _ in range(5):
        coordinator.get("/steps", params={"status": "open", "page_size": 50}).raise_for_status()
        coordinator.get("/steps", params={"overdue": "true"}).raise_for_status()
        admin.get("/journeys", params={"status": "stalled"}).raise_for_status()
    time.sleep(5)
    tree = process_tree(product.process.pid, product.data_dir)
    main = tree[0]
    with make_engine(product.database_url).connect() as conn:
        journeys = conn.execute(text("SELECT count(*) FROM journey")).scalar_one()

    def pss(procs: list[psutil.Process]) -> float:
        # PSS splits shared pages (PostgreSQL's shared buffers) fairly between processes.
        return sum(p.memory_full_info().pss for p in procs) / 2**20

    postgres = [p for p in tree if "postgres" in p.name()]
    prefect = [p for p in tree[1:] if p not in postgres]
    result = {
        "journeys": journeys,
        "product_rss_mb": main.memory_info().rss / 2**20,
        "prefect_server_and_scheduler_pss_mb": pss(prefect),
        "postgres_pss_mb": pss(postgres),
        "tree_pss_mb": pss(tree),
        "processes": len(tree),
        "threads_main": main.num_threads(),
    }
    print(f"{label}: " + ", ".join(f"{k} {v:.0f}" if isinstance(v, float) else f"{k} {v}"
                                   for k, v in result.items()), flush=True)
    return result


def main() -> None:
    with running_product() as product:
        httpx.get(f"{product.base}/healthz").raise_for_status()
        with make_engine(product.database_url).connect() as conn:
            have = conn.execute(text("SELECT count(*) FROM journey")).scalar_one()
        add_waiting_journeys(product, 0, 100 - have)
        small = reading(product, "100 waiting")
        add_waiting_journeys(product, 100, 9_900)
        large = reading(product, "10,000 waiting")
    print("difference: " + ", ".join(
        f"{key} {large[key] - small[key]:+.1f}" for key in small if key != "journeys"))


if __name__ == "__main__":
    main()
