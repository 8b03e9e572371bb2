"""Admissions per second through the API, each starting its journey (first step open).

    .venv/bin/python -m bench.admissions [N] [--external URL]

With ``--external`` the product runs on that PostgreSQL server (our data and Prefect's)
instead of the embedded default. Four client threads admit N residents (default 300);
afterwards the time the runner takes to follow with one advance flow run per admission is
reported too.
"""

from __future__ import annotations

import argparse
import time
from concurrent.futures import ThreadPoolExecutor

from bench.harness import admission_body, running_product, summary_ms, wait_for_outbox_drained


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("n", type=int, nargs="?", default=300)
    parser.add_argument("--external", help="SQLAlchemy URL of an empty database to use")
    parser.add_argument("--clients", type=int, default=4)
    args = parser.parse_args()
    with running_product(args.external) as product:
        wait_for_outbox_drained(product.database_url)
        clients = [product.client("coordinator") for _ in range(args.clients)]
        home_ids = [h["id"] for h in clients[0].get("/homes").json()]
        latencies: list[float] = []

        def admit(i: int) -> None:
            client = clients[i % len(clients)]
            t0 = time.perf_counter()
            response = client.post("/residents", json=admission_body(home_ids[i % 3], 1_000 + i))
            latencies.append(time.perf_counter() - t0)
            response.raise_for_status()
            assert response.json()["steps"][0]["kind"] == "holistic_assessment"

        started = time.perf_counter()
        with ThreadPoolExecutor(args.clients) as pool:
            list(pool.map(admit, range(args.n)))
        elapsed = time.perf_counter() - started
        drained = wait_for_outbox_drained(product.database_url)
    where = "external PostgreSQL" if args.external else "embedded PostgreSQL"
    print(f"{where}: {args.n} admissions in {elapsed:.1f} s = {args.n / elapsed:.1f} /s "
          f"({args.clients} clients); per call {summary_ms(latencies)}")
    print(f"runner followed with {args.n} advance flow runs, done {drained:.1f} s after the "
          f"last admission ({args.n / (elapsed + drained):.1f} flow runs/s overall)")


if __name__ == "__main__":
    main()
