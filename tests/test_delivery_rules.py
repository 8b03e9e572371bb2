"""The pure rules of alerts outside the app: which kinds go out, what is said, how often we
try, and the contact details we accept. Tables of cases, milliseconds."""

from __future__ import annotations

from datetime import date, datetime, timedelta

import pytest

from care.delivery import rules
from care.delivery.rules import Message

NOW = datetime.fromisoformat("2026-11-10T14:00:00+00:00")


@pytest.mark.parametrize(("kind", "urgent_work", "out"), [
    ("urgent", False, True),
    ("urgent", True, True),
    ("delivery_failed", False, True),
    ("escalation", True, True),  # the ladder passed it on, an urgent step overdue
    ("escalation", False, False),  # a missed round, an overdue care plan
    ("assignment", True, True),
    ("assignment", False, False),
    ("reminder", True, True),
    ("reminder", False, False),
    ("something_new", True, False),
])
def test_which_notifications_go_out_of_the_app(kind: str, urgent_work: bool, out: bool) -> None:
    assert rules.goes_out(kind, about_urgent_work=urgent_work) is out


@pytest.mark.parametrize(("step_kind", "priority", "urgent"), [
    ("urgent_response", 2, True), ("urgent_response", 1, True), ("ae_review", 1, True),
    ("pcsp", 3, False), ("clinical_review", 2, False), (None, None, False),
])
def test_urgent_work(step_kind: str | None, priority: int | None, urgent: bool) -> None:
    assert rules.is_urgent_work(step_kind=step_kind, priority=priority) is urgent


def test_links_go_to_the_escalation_then_the_step() -> None:
    assert rules.link_path(kind="urgent", step_id="s", deterioration_id="d") == "/deteriorations/d"
    assert rules.link_path(kind="assignment", step_id="s", deterioration_id=None) == "/steps/s"
    assert rules.link_path(kind="escalation", step_id=None, deterioration_id=None) == "/urgent"
    assert rules.link_path(kind="delivery_failed", step_id="s", deterioration_id="d") == (
        "/notifications#delivery-problems")


def test_references_are_short_opaque_and_unambiguous() -> None:
    refs = {rules.new_reference() for _ in range(200)}
    assert len(refs) > 190
    for ref in refs:
        assert len(ref) == 9 and ref.startswith("CJ-")
        assert not set(ref[3:]) & set("ILOU")


def test_the_message_says_what_by_when_and_where_and_nothing_about_whom() -> None:
    message = rules.compose(
        headline="Urgent response needed", detail="Urgent response: GP",
        due_at=NOW + timedelta(hours=2), url="https://cj.example/deteriorations/abc",
        reference="CJ-7K3M9Q", settings_url="https://cj.example/notifications#channel-section",
        channel_label="Email")
    assert message.subject == "Urgent response needed (ref CJ-7K3M9Q)"
    assert message.body.splitlines()[:5] == [
        "Urgent response needed (ref CJ-7K3M9Q).", "", "What: Urgent response: GP",
        "Respond by 4:00pm on 10 November.", "Open it: https://cj.example/deteriorations/abc"]
    assert message.sms == ("carejourney: Urgent response needed. Respond by 4:00pm on "
                           "10 November. Ref CJ-7K3M9Q. https://cj.example/deteriorations/abc")
    summer = rules.compose(headline="H", detail=None, due_at=datetime.fromisoformat(
        "2026-07-01T08:30:00+00:00"), url="u", reference="r", settings_url="s",
        channel_label="Text message")
    assert "Respond by 9:30am on 1 July." in summer.body  # British Summer Time
    assert "What:" not in summer.body


def test_identifiers_are_found_however_they_are_written() -> None:
    patterns = rules.identifier_patterns(names=["Edith", "Crawley", None],
                                         nhs_number="9990001234", date_of_birth=date(1931, 4, 3))

    def found(text: str) -> list[str]:
        return rules.leaks(Message(subject="", body=text, sms=""), patterns)

    assert found("Urgent response: GP, ref CJ-7K3M9Q, /deteriorations/9990001234a") == []
    assert found("for EDITH") == ["name"]
    assert found("crawley's room") == ["name"]
    assert found("Crawleyside Lodge") == []
    for nhs in ("9990001234", "999 000 1234", "999-000-1234"):
        assert found(f"NHS {nhs}") == ["NHS number"], nhs
    assert found("id 19990001234") == []
    for dob in ("1931-04-03", "03/04/1931", "3/4/1931", "3 April 1931", "03 Apr 1931"):
        assert found(f"born {dob}") == ["date of birth"], dob


@pytest.mark.parametrize(("typed", "stored"), [
    ("07700 900123", "+447700900123"), ("+44 7700 900123", "+447700900123"),
    ("0044 7700 900123", "+447700900123"), ("447700900123", "+447700900123"),
    ("(07700) 900-123", "+447700900123"), ("+33 6 12 34 56 78", "+33612345678"),
])
def test_mobile_numbers_are_stored_as_notify_takes_them(typed: str, stored: str) -> None:
    assert rules.normalise_mobile(typed) == stored


@pytest.mark.parametrize(("typed", "reason"), [
    ("", "enter a mobile number"), ("020 7946 0000", "not a landline"),
    ("+44 20 7946 0000", "not a landline"),
    ("07700 9001234", "like 07700 900123"), ("0770090012", "like 07700 900123"),
    ("call me", "like 07700 900123"),
])
def test_numbers_we_cannot_text_are_refused(typed: str, reason: str) -> None:
    with pytest.raises(ValueError, match=reason):
        rules.normalise_mobile(typed)


@pytest.mark.parametrize("typed", ["name@nhs.net", " Name.Surname@nhs.net ", "a+b@x.co.uk"])
def test_email_addresses_are_kept_as_typed(typed: str) -> None:
    assert rules.normalise_email(typed) == typed.strip()


@pytest.mark.parametrize("typed", ["", "name", "name@", "@nhs.net", "a b@nhs.net",
                                   "name@nhs", "name@@nhs.net", "a..b@nhs.net"])
def test_email_addresses_we_cannot_use_are_refused(typed: str) -> None:
    with pytest.raises(ValueError):
        rules.normalise_email(typed)


def test_retries_back_off_to_five_minutes() -> None:
    assert [rules.backoff(n, 15).total_seconds() for n in range(1, 7)] == [
        15, 30, 60, 120, 240, 300]


def test_addresses_are_masked_on_pages() -> None:
    assert rules.mask("nurse.a@nhs.net") == "n…@nhs.net"
    assert rules.mask("+447700900123") == "…123"


def test_safe_defaults_and_refusals_of_the_settings() -> None:
    from pydantic import ValidationError

    from care.delivery.transports import available_channels, describe
    from care.settings import Settings

    quiet = Settings(mode="demo", secret_key="t" * 48)
    assert available_channels(quiet) == ["in_app"]
    assert describe(quiet).startswith("Notifications: in the app only")
    assert quiet.base_url == "http://127.0.0.1:8000"
    secret = "s" * 40
    with pytest.raises(ValidationError, match="PUBLIC_URL must be the https"):
        Settings(mode="production", secret_key=secret, smtp_host="mail.nhs.net")
    with pytest.raises(ValidationError, match=r"not a GOV\.UK Notify API key"):
        Settings(mode="demo", secret_key=secret, notify_api_key="test-key")
    live = Settings(mode="production", secret_key=secret, smtp_host="mail.nhs.net",
                    public_url="https://carejourney.nhs.uk/", notify_api_key="k" * 80,
                    notify_sms_template_id="t")
    assert available_channels(live) == ["in_app", "email", "sms"]
    assert live.base_url == "https://carejourney.nhs.uk"
    assert describe(live) == (
        "Notifications: in the app, and email via SMTP mail.nhs.net and text messages via "
        "GOV.UK Notify for people who chose them; links point to https://carejourney.nhs.uk.")
    assert "k" * 80 not in repr(live)  # secrets never printed
