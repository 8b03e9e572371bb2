"""Start the real product (`carejourney serve`) in a child process and talk to it over HTTP.

Benchmarks measure from outside, as a client would; they are run by hand, never by CI.
"""

from __future__ import annotations

import os
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from pathlib import Path
from typing import Any

import httpx
import psutil

from care.demo import DEMO_PASSWORD
from carejourney.prefect_server import free_port

ROOT = Path(__file__).resolve().parent.parent


@dataclass
class Product:
    base: str
    process: subprocess.Popen[bytes]
    data_dir: Path
    database_url: str

    def client(self, username: str) -> httpx.Client:
        client = httpx.Client(base_url=f"{self.base}/api/v1", timeout=30)
        token = client.post("/auth/token", data={"username": username,
                                                 "password": DEMO_PASSWORD})
        token.raise_for_status()
        client.headers["Authorization"] = f"Bearer {token.json()['access_token']}"
        return client


@contextmanager
def running_product(database_url: str | None = None, *, demo: bool = True) -> Iterator[Product]:
    """A fresh product on the embedded default, or on ``database_url`` (an external server)."""
    data_dir = Path(tempfile.mkdtemp(prefix="cj-bench-"))
    port = free_port()
    env = {**os.environ, "CAREJOURNEY_DATA_DIR": str(data_dir), "CAREJOURNEY_PORT": str(port),
           "CAREJOURNEY_PREFECT_PORT": str(free_port()), "CAREJOURNEY_MODE": "demo"}
    env.pop("PREFECT_API_URL", None)
    if database_url:
        env["CAREJOURNEY_DATABASE_URL"] = database_url
    args = [sys.executable, "-m", "carejourney", "serve"] + ([] if demo else ["--no-demo"])
    log = open(data_dir / "product.log", "wb")  # noqa: SIM115
    proc = subprocess.Popen(args, cwd=ROOT, env=env, stdout=log, stderr=subprocess.STDOUT)
    base = f"http://127.0.0.1:{port}"
    deadline = time.monotonic() + 180
    while time.monotonic() < deadline:
        if proc.poll() is not None:
            raise RuntimeError(f"product exited; see {data_dir / 'product.log'}")
        try:
            if httpx.get(f"{base}/healthz", timeout=1).status_code == 200:
                break
        except httpx.HTTPError:
            time.sleep(0.3)
    else:
        proc.terminate()
        raise RuntimeError("product did not start")
    url = database_url or (
        f"postgresql+psycopg://postgres@/carejourney?host={data_dir.resolve() / 'pg'}"
    )
    try:
        yield Product(base, proc, data_dir, url)
    finally:
        proc.terminate()
        proc.wait(60)


def unique_nhs_number(n: int) -> str:
    """The n-th valid number of the 999 test range (deterministic, never repeats)."""
    body = f"999{n:06d}"
    for candidate in range(n, 1_000_000):
        body = f"999{candidate:06d}"
        total = sum(int(d) * w for d, w in zip(body, range(10, 1, -1), strict=True))
        check = (11 - total % 11) % 11
        if check != 10:
            return body + str(check)
    raise ValueError(n)


def admission_body(home_id: str, n: int) -> dict[str, Any]:
    return {
        "nhs_number": unique_nhs_number(n * 2),
        "given_name": "Bench", "family_name": f"Resident{n}", "date_of_birth": "1938-03-04",
        "home_id": home_id, "admitted_on": date.today().isoformat(),
        "gp_practice_ods": "Y90001", "gp_practice_name": "Riverside Medical Practice",
    }


def wait_for_outbox_drained(database_url: str, timeout: float = 3600) -> float:
    """Seconds until every outbox message has been processed by the product's runner."""
    from sqlalchemy import create_engine, text

    engine = create_engine(database_url)
    start = time.monotonic()
    try:
        while time.monotonic() - start < timeout:
            with engine.connect() as conn:
                pending = conn.execute(text(
                    "SELECT count(*) FROM journey_outbox WHERE processed_at IS NULL"
                )).scalar_one()
            if pending == 0:
                return time.monotonic() - start
            time.sleep(0.5)
    finally:
        engine.dispose()
    raise TimeoutError("outbox not drained")


def percentile(values: list[float], p: float) -> float:
    ordered = sorted(values)
    k = (len(ordered) - 1) * p / 100
    lo, hi = int(k), min(int(k) + 1, len(ordered) - 1)
    return ordered[lo] + (ordered[hi] - ordered[lo]) * (k - lo)


def summary_ms(values: list[float]) -> str:
    ms = [v * 1000 for v in values]
    return (f"p50 {percentile(ms, 50):.0f} ms, p95 {percentile(ms, 95):.0f} ms, "
            f"mean {statistics.mean(ms):.0f} ms, n={len(ms)}")


def process_tree(root_pid: int, data_dir: Path) -> list[psutil.Process]:
    """The product's processes: its children, plus the embedded PostgreSQL's (a daemon)."""
    root = psutil.Process(root_pid)
    procs = [root, *root.children(recursive=True)]
    for proc in psutil.process_iter(["cmdline"]):
        cmd = " ".join(proc.info["cmdline"] or [])
        if str(data_dir) in cmd and proc not in procs:
            procs.append(proc)
            procs.extend(proc.children(recursive=True))
    return list({p.pid: p for p in procs}.values())
