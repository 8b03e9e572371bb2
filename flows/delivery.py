"""The delivery worker: drains the notification delivery outbox beside the journey runner.

Alerts need seconds, not the 140-250 ms of Prefect bookkeeping per message or a worker's
process start, and our outbox row is already the durable record with its retries, so this is
a plain loop in the long-lived process (the product's own, or `carejourney runner`), like the
journey runner. Each delivery is leased in one short transaction, sent with no transaction
open, and recorded in another: a mail server that hangs holds no locks and blocks no care.
Several workers are safe at once (``SKIP LOCKED``); sending is at-least-once.
"""

from __future__ import annotations

import logging
import threading

from care.db import unit_of_work
from care.delivery import outbox, service
from care.delivery.transports import Transports, describe, transports_for
from tasks.runtime import Runtime

log = logging.getLogger(__name__)


class DeliveryWorker:
    def __init__(
        self, runtime: Runtime, transports: Transports | None = None, *,
        lease_seconds: float | None = None, batch: int = 5,
    ) -> None:
        self.runtime = runtime
        self.transports = transports or transports_for(runtime.settings)
        # A few at a time, so one slow mail server holds back few alerts; and the lease longer
        # than the whole batch can take at the transports' time-outs, so no other worker sends
        # an alert again while this one is still trying it.
        settings = runtime.settings
        worst = max(settings.smtp_timeout_seconds, settings.notify_timeout_seconds) * 2 + 5
        self.lease_seconds = lease_seconds or max(60.0, batch * worst)
        self.batch = batch
        self._stop = threading.Event()
        self._thread: threading.Thread | None = None

    def drain_once(self) -> int:
        """Try every due delivery once; returns how many were tried."""
        rt = self.runtime
        with unit_of_work(rt.sessions) as session:
            leased = outbox.lease_batch(session, rt.clock.now(), lease_seconds=self.lease_seconds,
                                        limit=self.batch)
        for outgoing in leased:
            try:
                result = service.attempt(outgoing, self.transports, rt.settings)
            except Exception as exc:  # a bug must still end in retries, then a report
                log.exception("delivery %s could not be attempted", outgoing.id)
                result = service.Attempt(sent=False, error=f"{type(exc).__name__}: internal error")
            with unit_of_work(rt.sessions) as session:
                service.record_attempt(session, outgoing, result, rt.clock.now(), rt.settings)
            if not result.sent:
                log.warning("delivery %s (ref %s, attempt %s) failed: %s", outgoing.id,
                            outgoing.reference, outgoing.attempts, result.error)
        return len(leased)

    def drain_until_idle(self, max_rounds: int = 100) -> int:
        """Drain until nothing is due now (tests, and catching up at start-up)."""
        total = 0
        for _ in range(max_rounds):
            n = self.drain_once()
            if n == 0:
                break
            total += n
        return total

    def run_forever(self) -> None:
        poll = self.runtime.settings.delivery_poll_seconds
        log.info("%s", describe(self.runtime.settings))
        while not self._stop.is_set():
            try:
                busy = self.drain_once()
            except Exception:  # keep going: a database blip must not stop alerts for good
                log.exception("delivery worker round failed")
                busy = 0
            if not busy:
                self._stop.wait(poll)

    def start_in_thread(self) -> threading.Thread:
        self._thread = threading.Thread(target=self.run_forever, name="delivery-worker",
                                        daemon=True)
        self._thread.start()
        return self._thread

    def stop(self, timeout: float = 10) -> None:
        self._stop.set()
        if self._thread is not None:
            self._thread.join(timeout)
