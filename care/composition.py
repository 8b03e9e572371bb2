"""The one place the product is put together: every domain's step types and triggers, the
reactions between domains, and the pathway versions (care/pathways/*.toml).

Entry points (the web app, the flows, the command line, the tests) call ``install()`` once;
it is idempotent. Nothing below the entry points imports this module, so the domains and the
step engine stay independent of each other (checked by import-linter, pyproject.toml).
"""

from __future__ import annotations

from pathlib import Path

from sqlalchemy.orm import Session

from care.assessments import steps as assessment_steps
from care.delivery import outbox as delivery
from care.deterioration import recording as deterioration
from care.deterioration import steps as deterioration_steps
from care.deterioration.events import UrgentResponseDecided
from care.journeys import events, registry
from care.journeys import pathway as pathways
from care.journeys.notifications import NotificationCreated
from care.residents import service as residents
from care.residents.events import ResidentLeftHome
from care.residents.kinds import AWAY_STATES
from care.residents.schemas import HospitalStayIn
from care.rounds import steps as round_steps

PATHWAYS = Path(__file__).with_name("pathways")


def close_escalation_on_departure(session: Session, event: ResidentLeftHome) -> None:
    """A resident who leaves the home takes their open escalation with them."""
    deterioration.close_on_departure(session, event.resident_id, event.reason, event.at,
                                     admitted=event.to_hospital)


def record_admission_after_response(session: Session, event: UrgentResponseDecided) -> None:
    """An urgent response that ended in a hospital admission is the resident's hospital stay."""
    if not event.admitted or event.actor is None:
        return
    residents.record_hospital_stay(session, event.actor, event.resident_id, HospitalStayIn(
        admitted_on=event.admitted_on, hospital_name=event.hospital_name,
        note="Admitted after an urgent response"), event.at)


def send_urgent_notifications(session: Session, event: NotificationCreated) -> None:
    """Urgent notifications also go by the person's chosen email or text message."""
    delivery.enqueue_for(session, event.notification, event.at)


_installed = False


def install() -> None:
    """Register everything once per process: every entry point and test app calls this, and
    reading the pathway files again each time would be start-up work for nothing."""
    global _installed
    if _installed:
        return
    registry.register(*assessment_steps.STEP_TYPES, *round_steps.STEP_TYPES,
                      *deterioration_steps.STEP_TYPES)
    pathways.register_trigger(*round_steps.TRIGGERS, *deterioration_steps.TRIGGERS)
    pathways.register_states({str(k): v for k, v in AWAY_STATES.items()})
    events.subscribe(ResidentLeftHome, close_escalation_on_departure)
    events.subscribe(UrgentResponseDecided, record_admission_after_response)
    events.subscribe(NotificationCreated, send_urgent_notifications)
    for path in sorted(PATHWAYS.glob("*.toml")):
        pathways.install(pathways.load(path))
    _installed = True
