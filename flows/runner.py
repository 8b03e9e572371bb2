"""The journey runner: drains the outbox and runs the advance flow in-process.

A person's click must not wait for a worker to spawn a process (about 2 s here), so runners
live in long-lived processes (the product's own, or `carejourney runner` for scale-out).
Several runners are safe at once: messages are leased with ``SKIP LOCKED`` and advancing a
journey is idempotent.
"""

from __future__ import annotations

import asyncio
import logging
import threading
import uuid

from prefect import tags

from care.db import unit_of_work
from care.journeys import outbox
from flows.journey import advance_journey
from tasks.runtime import Runtime

log = logging.getLogger(__name__)


class JourneyRunner:
    def __init__(
        self, runtime: Runtime, *, lease_seconds: float = 300, batch: int = 8,
        concurrency: int = 4,
    ) -> None:
        self.runtime = runtime
        self.concurrency = concurrency
        self.lease_seconds = lease_seconds
        self.batch = batch
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    async def drain_once(self) -> int:
        """Advance every journey with a due message; returns how many journeys were run."""
        rt = self.runtime
        with unit_of_work(rt.sessions) as session:
            leases = outbox.lease_batch(session, rt.clock.now(), lease_seconds=self.lease_seconds,
                                        limit=self.batch)
        # A few journeys at once: each advance mostly waits on the Prefect API.
        limit = asyncio.Semaphore(self.concurrency)

        async def advance(lease: outbox.Lease) -> None:
            async with limit:
                try:
                    await self._advance(lease)
                except Exception as exc:  # e.g. the Prefect API is down: retry later
                    log.exception("journey runner could not advance %s", lease.journey_id)
                    with unit_of_work(rt.sessions) as session:
                        outbox.mark_failed(session, lease, rt.clock.now(),
                                           error=f"{type(exc).__name__}: runner error",
                                           max_attempts=rt.settings.outbox_max_attempts,
                                           flow_run_id=None)

        await asyncio.gather(*(advance(lease) for lease in leases))
        return len(leases)

    async def _advance(self, lease: outbox.Lease) -> None:
        rt = self.runtime
        # Opaque ids only: the Prefect UI groups a journey's runs by this tag.
        with tags(f"journey:{lease.journey_id}"):
            state = await advance_journey(str(lease.journey_id), return_state=True)
        run_id = state.state_details.flow_run_id
        flow_run_id = uuid.UUID(str(run_id)) if run_id else None
        with unit_of_work(rt.sessions) as session:
            if state.is_completed():
                outbox.mark_processed(session, lease, rt.clock.now(), flow_run_id)
                return
            error = state.message or state.type.value
            gave_up = outbox.mark_failed(session, lease, rt.clock.now(), error=error,
                                         max_attempts=rt.settings.outbox_max_attempts,
                                         flow_run_id=flow_run_id)
        log.warning("advance of journey %s failed (attempt %s%s): %s", lease.journey_id,
                    lease.attempts, ", giving up" if gave_up else "", error)

    async def drain_until_idle(self, max_rounds: int = 100) -> int:
        """Drain until nothing is due (tests, and catching up at start-up)."""
        total = 0
        for _ in range(max_rounds):
            n = await self.drain_once()
            if n == 0:
                break
            total += n
        return total

    async def run_forever(self) -> None:
        poll = self.runtime.settings.runner_poll_seconds
        while not self._stop.is_set():
            try:
                busy = await self.drain_once()
            except Exception:  # keep draining: a database blip must not stop journeys
                log.exception("journey runner round failed")
                busy = 0
            if not busy:
                await asyncio.sleep(poll)

    def start_in_thread(self) -> threading.Thread:
        """Run in a thread with its own event loop, beside the web server."""
        self._thread = threading.Thread(
            target=lambda: asyncio.run(self.run_forever()), name="journey-runner", daemon=True
        )
        self._thread.start()
        return self._thread

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
