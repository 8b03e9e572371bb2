"""The upgrade that brought the national floors (issue 8): a PCN's ladder saved before them is
kept as version 1 and brought within the floors as version 2, never made less cautious."""

from __future__ import annotations

import uuid

from alembic import command
from sqlalchemy import create_engine, text

from care.deterioration.routes import floor_problems
from tests.test_migrations import _config, scratch_url  # noqa: F401  (the fixture)

BEFORE = "c5c150b1442c"
FLOORS_REVISION = "e1f0a8c4b201"


def test_a_ladder_beyond_the_floors_is_brought_within_them_and_both_versions_kept(
    scratch_url: str,  # noqa: F811
) -> None:
    config = _config(scratch_url)
    command.upgrade(config, BEFORE)
    engine = create_engine(scratch_url)
    ids = {"pcn": uuid.uuid4(), "other": uuid.uuid4(), "user": uuid.uuid4()}
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO pcn VALUES (:pcn, 'P', 'U1', '[]')"), ids)
        conn.execute(text("INSERT INTO pcn VALUES (:other, 'Q', 'U2', '[]')"), ids)
        conn.execute(text(
            "INSERT INTO app_user VALUES (:user, 'u', 'U', 'x', 'admin', 'administrator', :pcn,"
            " true, now())"), ids)
        # What outside testers saved: a NEWS2 of 12 'same day', a 24-hour 'urgent' response.
        conn.execute(text(
            "INSERT INTO pcn_escalation_policy VALUES (:pcn, '{\"high_from\": 20, "
            "\"medium_from\": 12, \"urgent_response_minutes\": 1440, "
            "\"acknowledge_minutes\": 10}', :user, now(), 'board')"), ids)
        # A ladder already within the floors is kept as it is.
        conn.execute(text(
            "INSERT INTO pcn_escalation_policy VALUES (:other, '{\"urgent_response_minutes\": "
            "90}', :user, now(), NULL)"), ids)
    command.upgrade(config, FLOORS_REVISION)
    with engine.connect() as conn:
        stored = conn.execute(text(
            "SELECT \"values\" FROM pcn_escalation_policy WHERE pcn_id = :pcn"), ids).scalar()
        versions = conn.execute(text(
            "SELECT version, \"values\", reason, changed_by_id FROM escalation_policy_version "
            "WHERE pcn_id = :pcn ORDER BY version"), ids).all()
        other = conn.execute(text(
            "SELECT \"values\" FROM pcn_escalation_policy WHERE pcn_id = :other"), ids).scalar()
        other_versions = conn.execute(text(
            "SELECT count(*) FROM escalation_policy_version WHERE pcn_id = :other"), ids).scalar()
    assert stored == {"high_from": 7, "medium_from": 5, "urgent_response_minutes": 120,
                      # one 10-minute window for all became 10 for each: no less cautious
                      "acknowledge_emergency_minutes": 10, "acknowledge_urgent_minutes": 10,
                      "acknowledge_same_day_minutes": 10}
    assert floor_problems(stored) == []
    assert [v.version for v in versions] == [1, 2]
    assert versions[0].values["high_from"] == 20 and versions[0].reason == "board"
    assert "national floors" in versions[1].reason and versions[1].changed_by_id is None
    assert other == {"urgent_response_minutes": 90} and other_versions == 1
    command.downgrade(config, BEFORE)
    command.upgrade(config, "head")
    engine.dispose()
