"""Pure rules for alerts outside the app: which go out, what they say, how they are retried.

Values in, values out; no database, no network (STYLE.md habit 2). The policy source is
issue 8: a two-hour urgent-response clock must not depend on someone looking at the app, and
nothing that identifies a resident may travel by email or text message (NHS email and SMS
guidance: no patient identifiers in subjects or SMS; a link to the record instead).
"""

from __future__ import annotations

import re
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta

from care.clock import CARE_TIMEZONE, local_datetime

#: The in-app notification kinds (``notify()`` callers) and the one this module adds.
URGENT = "urgent"
ESCALATION = "escalation"
ASSIGNMENT = "assignment"
REMINDER = "reminder"
DELIVERY_FAILED = "delivery_failed"

#: Said first in the subject and the text message: what kind of attention, never who.
HEADLINES = {
    URGENT: "Urgent response needed",
    ESCALATION: "Escalation: urgent work needs you",
    ASSIGNMENT: "Urgent work assigned to you",
    REMINDER: "Overdue: urgent work",
    DELIVERY_FAILED: "An urgent alert could not be delivered",
}
SERVICE = "carejourney"
MAX_BACKOFF = timedelta(minutes=5)


def goes_out(kind: str, *, about_urgent_work: bool) -> bool:
    """Does this notification also go by email or text message (to people who chose one)?

    Urgent steps and failed alerts always do; escalations, assignments and reminders only when
    they are about urgent work (an urgent-response step, a priority-1 step, or an open
    deterioration). Routine reminders, routine assignments and missed rounds stay in the app:
    paging people about a care plan due next week would teach them to ignore the pages.
    """
    if kind in (URGENT, DELIVERY_FAILED):
        return True
    return kind in (ESCALATION, ASSIGNMENT, REMINDER) and about_urgent_work


def is_urgent_work(*, step_kind: str | None, priority: int | None) -> bool:
    """An urgent-response step (any urgency) or any step of the top priority."""
    return step_kind == "urgent_response" or priority == 1


def link_path(*, kind: str, step_id: str | None, deterioration_id: str | None) -> str:
    """Where the message sends the reader: the escalation, else the step, else their list."""
    if kind == DELIVERY_FAILED:
        return "/notifications#delivery-problems"
    if deterioration_id:
        return f"/deteriorations/{deterioration_id}"
    if step_id:
        return f"/steps/{step_id}"
    return "/urgent" if kind in (URGENT, ESCALATION) else "/notifications"


_REFERENCE_ALPHABET = "0123456789ABCDEFGHJKMNPQRSTVWXYZ"  # Crockford: no I, L, O, U


def new_reference() -> str:
    """A short, opaque reference to quote on the phone ("CJ-7K3M9Q"); random, names nobody."""
    return "CJ-" + "".join(secrets.choice(_REFERENCE_ALPHABET) for _ in range(6))


@dataclass(frozen=True)
class Message:
    subject: str
    body: str
    sms: str


def _when(due_at: datetime, tz: str) -> str:
    local = local_datetime(due_at, tz)
    clock = f"{local.hour % 12 or 12}:{local:%M}{'am' if local.hour < 12 else 'pm'}"
    return f"{clock} on {local.day} {local:%B}"


def compose(
    *, headline: str, detail: str | None, due_at: datetime | None, url: str, reference: str,
    settings_url: str, channel_label: str, tz: str = CARE_TIMEZONE,
) -> Message:
    """The email and the text message for one alert: what kind, by when, a link, a reference.

    Built only from these values, never from the in-app message (which names the resident).
    """
    due = f"Respond by {_when(due_at, tz)}." if due_at else ""
    lines = [f"{headline} (ref {reference}).", ""]
    if detail:
        lines.append(f"What: {detail}")
    if due:
        lines.append(due)
    lines += [
        f"Open it: {url}",
        "",
        "Sign in to see who it is about and why: this message leaves out the person's "
        "details on purpose.",
        "",
        f"You get these messages because your {SERVICE} notification setting is "
        f"{channel_label.lower()}. Change it at {settings_url}",
    ]
    sms = " ".join(p for p in (f"{SERVICE}: {headline}.", due, f"Ref {reference}.", url) if p)
    return Message(subject=f"{headline} (ref {reference})", body="\n".join(lines) + "\n",
                   sms=sms)


def backoff(attempts: int, base_seconds: float) -> timedelta:
    """Wait before the next try: base, then doubling, at most five minutes."""
    return min(timedelta(seconds=base_seconds * 2 ** max(attempts - 1, 0)), MAX_BACKOFF)


# ---------------------------------------------------------------- identifiers must not leak


def _digits_pattern(digits: str) -> str:
    # An NHS number however it is spaced or hyphenated: 943 476 5919, 943-476-5919.
    # Not inside a longer run of letters and digits (a UUID in a link is not an NHS number).
    return (r"(?<![0-9A-Za-z])" + r"[\s-]?".join(re.escape(d) for d in digits)
            + r"(?![0-9A-Za-z])")


def identifier_patterns(
    *, names: Iterable[str | None], nhs_number: str | None, date_of_birth: date | None,
) -> list[tuple[str, re.Pattern[str]]]:
    """What would identify the resident in a message: their names, NHS number and date of
    birth in the ways people write them."""
    found: list[tuple[str, re.Pattern[str]]] = []
    for name in names:
        for word in re.split(r"[\s,]+", name or ""):
            if len(word) >= 2:
                found.append(("name", re.compile(rf"\b{re.escape(word)}\b", re.IGNORECASE)))
    digits = re.sub(r"\D", "", nhs_number or "")
    if len(digits) == 10:
        found.append(("NHS number", re.compile(_digits_pattern(digits))))
    if date_of_birth is not None:
        d = date_of_birth
        forms = [d.isoformat(), f"{d:%d/%m/%Y}", f"{d.day}/{d.month}/{d.year}",
                 f"{d:%d.%m.%Y}", f"{d:%d-%m-%Y}", f"{d.day} {d:%B %Y}", f"{d.day} {d:%b %Y}",
                 f"{d:%d %B %Y}", f"{d:%d %b %Y}"]
        for form in dict.fromkeys(forms):
            found.append(("date of birth", re.compile(re.escape(form), re.IGNORECASE)))
    return found


def leaks(message: Message, patterns: list[tuple[str, re.Pattern[str]]]) -> list[str]:
    """Which kinds of identifier appear anywhere in the message (empty: none)."""
    text = "\n".join((message.subject, message.body, message.sms))
    return sorted({kind for kind, pattern in patterns if pattern.search(text)})


# ---------------------------------------------------------------- contact details


_EMAIL = re.compile(
    r"^[A-Za-z0-9.!#$%&'*+/=?^_`{|}~-]{1,64}@"
    r"(?=.{1,253}$)(?:[A-Za-z0-9](?:[A-Za-z0-9-]{0,61}[A-Za-z0-9])?\.)+[A-Za-z]{2,63}$"
)


def normalise_email(raw: str) -> str:
    """An email address as typed, trimmed; ValueError with the reason when it cannot be one."""
    value = raw.strip()
    if not value:
        raise ValueError("enter an email address")
    if len(value) > 254 or not _EMAIL.match(value) or ".." in value:
        raise ValueError("enter an email address in the right format, like name@nhs.net")
    return value


def normalise_mobile(raw: str) -> str:
    """A mobile number in E.164 (+447700900123); UK numbers may be typed as 07700 900123.

    ValueError with the reason when it is not a mobile number we can text.
    """
    value = re.sub(r"[\s().-]", "", raw.strip())
    if not value:
        raise ValueError("enter a mobile number")
    if value.startswith("00"):
        value = "+" + value[2:]
    elif value.startswith("07"):
        value = "+44" + value[1:]
    elif value.startswith("0"):
        raise ValueError("enter a UK mobile number (07...), not a landline")
    elif value.startswith("447"):
        value = "+" + value
    if not re.fullmatch(r"\+[1-9]\d{7,14}", value):
        raise ValueError("enter a mobile number, like 07700 900123 or +44 7700 900123")
    if value.startswith("+44") and not value.startswith("+447"):
        raise ValueError("enter a UK mobile number (07...), not a landline")
    if value.startswith("+44") and not re.fullmatch(r"\+447\d{9}", value):
        raise ValueError("enter a mobile number, like 07700 900123 or +44 7700 900123")
    return value


def mask(address: str) -> str:
    """Enough of an address to recognise it on a page, not enough to copy it."""
    if "@" in address:
        local, _, domain = address.partition("@")
        return f"{local[:1]}…@{domain}"
    return f"…{address[-3:]}"
