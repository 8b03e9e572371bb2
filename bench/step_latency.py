"""Step completion -> next step visible through the API, over N journeys (default 220).

    .venv/bin/python -m bench.step_latency [N]

Each journey: admit (API), claim the holistic assessment, then time from sending
`POST /steps/{id}/complete` to the first `GET /steps?resident_id=..&kind=pcsp&status=open`
that lists the PCSP step. Also reports where the time goes: the completion call itself, and
how long the Prefect advance flow run follows behind (outbox created -> processed).
"""

from __future__ import annotations

import sys
import time

from sqlalchemy import create_engine, text

from bench.harness import admission_body, running_product, summary_ms, wait_for_outbox_drained
from tests.factories import ASSESSMENT


def main(n: int = 220) -> None:
    with running_product() as product:
        staff = product.client("staff.oaks")
        matron = product.client("matron")
        home_id = next(h["id"] for h in staff.get("/homes").json()
                       if h["name"].startswith("The Oaks"))
        wait_for_outbox_drained(product.database_url)
        engine = create_engine(product.database_url)
        with engine.connect() as conn:
            started = conn.execute(text("SELECT now()")).scalar_one()
        visible, completion = [], []
        for i in range(n):
            admitted = staff.post("/residents", json=admission_body(home_id, i))
            admitted.raise_for_status()
            resident_id = admitted.json()["resident"]["id"]
            step_id = admitted.json()["steps"][0]["id"]
            matron.post(f"/steps/{step_id}/claim").raise_for_status()
            t0 = time.perf_counter()
            done = matron.post(f"/steps/{step_id}/complete", json={"outcome": ASSESSMENT})
            t1 = time.perf_counter()
            done.raise_for_status()
            while True:
                found = matron.get("/steps", params={"resident_id": resident_id, "kind": "pcsp",
                                                     "status": "open"}).json()["items"]
                if found:
                    break
            visible.append(time.perf_counter() - t0)
            completion.append(t1 - t0)
        drain = wait_for_outbox_drained(product.database_url)
        with engine.connect() as conn:
            lags = [row[0] for row in conn.execute(text(
                "SELECT EXTRACT(EPOCH FROM processed_at - created_at) FROM journey_outbox "
                "WHERE reason = 'step_completed' AND created_at >= :started"
            ), {"started": started})]
        engine.dispose()
    print(f"journeys: {n}")
    print(f"completion -> next step visible via API: {summary_ms(visible)}")
    print(f"  of which the completion call:           {summary_ms(completion)}")
    print(f"advance flow run behind the completion:   {summary_ms([float(x) for x in lags])}")
    print(f"outbox drained {drain:.1f} s after the last completion")


if __name__ == "__main__":
    main(int(sys.argv[1]) if len(sys.argv) > 1 else 220)
