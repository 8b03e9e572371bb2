"""Migrations applied to a database that already holds care data, and rolled back."""

from __future__ import annotations

import json
import uuid
from collections.abc import Iterator
from pathlib import Path

import pytest
from alembic import command
from alembic.config import Config
from sqlalchemy import create_engine, text
from sqlalchemy.engine import make_url
from sqlalchemy.exc import DBAPIError

from carejourney.db_roles import APP_ROLE

ROOT = Path(__file__).resolve().parent.parent
FIRST = "a2940ab4fa5f"


@pytest.fixture
def scratch_url(database_url: str) -> Iterator[str]:
    """A throwaway database on the same server as the test database."""
    url = make_url(database_url)
    admin = create_engine(url.set(database="postgres"), isolation_level="AUTOCOMMIT")
    name = f"cj_migrations_{uuid.uuid4().hex[:8]}"
    with admin.connect() as conn:
        conn.execute(text(f'CREATE DATABASE "{name}"'))
    try:
        yield url.set(database=name).render_as_string(hide_password=False)
    finally:
        with admin.connect() as conn:
            conn.execute(text(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)'))
        admin.dispose()


def _config(url: str) -> Config:
    config = Config(str(ROOT / "alembic.ini"))
    config.attributes["url"] = url
    return config


def test_steps_made_before_the_home_round_keep_their_natural_key(scratch_url: str) -> None:
    config = _config(scratch_url)
    command.upgrade(config, FIRST)
    engine = create_engine(scratch_url)
    ids = {k: uuid.uuid4() for k in ("pcn", "home", "user", "resident", "episode", "journey",
                                     "step")}
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO pcn VALUES (:pcn, 'P', 'U1', '[]')"), ids)
        conn.execute(text(
            "INSERT INTO app_user VALUES (:user, 'u', 'U', 'x', 'admin', 'administrator', :pcn,"
            " true, now())"), ids)
        conn.execute(text(
            "INSERT INTO care_home VALUES (:home, :pcn, 'H', 'nursing', 10, '1-1', 'H1', 'a',"
            " 'p', 1, '10:00', NULL, NULL)"), ids)
        conn.execute(text(
            "INSERT INTO resident VALUES (:resident, '9990000018', 'A', 'B', '1940-01-01', :home,"
            " NULL, 'Y1', 'S', true, NULL, NULL, NULL, 'unknown', 'resident', now())"), ids)
        conn.execute(text(
            "INSERT INTO residence_episode VALUES (:episode, :resident, :home, 'care_home',"
            " 'admission', '2026-11-02', NULL, NULL, NULL, NULL, now())"), ids)
        conn.execute(text(
            "INSERT INTO journey VALUES (:journey, :resident, :home, 'assessment', 'active',"
            " :episode, now(), NULL, NULL, NULL, 1)"), ids)
        conn.execute(text(
            "INSERT INTO step (id, journey_id, resident_id, home_id, episode_id, kind, title,"
            " status, priority, candidate_group, due_at, deadline_rule, deadline_base,"
            " opened_at, version) VALUES (:step, :journey, :resident, :home, :episode,"
            " 'holistic_assessment', 'T', 'ready', 2, 'g', now(), 'r', now(), now(), 1)"), ids)
    command.upgrade(config, "head")
    with engine.connect() as conn:
        key = conn.execute(text("SELECT dedupe_key FROM step WHERE id = :step"), ids).scalar()
    assert key == f"{ids['episode']}:holistic_assessment"
    command.downgrade(config, FIRST)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT count(*) FROM step")).scalar() == 1
    command.upgrade(config, "head")
    engine.dispose()


def test_free_text_first_contacts_go_to_the_clinical_leads_review_list(
    scratch_url: str,
) -> None:
    """Issue 8: each resident's current PCSP whose first contact is words, not a code, opens
    one review quoting them; older versions and coded plans open none; no plan is rewritten."""
    config = _config(scratch_url)
    before = "e4c9f2b7d804"
    command.upgrade(config, before)
    engine = create_engine(scratch_url)
    ids = {k: uuid.uuid4() for k in ("pcn", "home", "user", "words", "coded", "recoded",
                                     "none")}
    plans: dict[tuple[str, int], uuid.UUID] = {}
    contacts: dict[str, list[str | None]] = {
        # resident: the first contact in each of their plan versions, oldest first
        "words": ["GP", "not GP, call Dr Smith"],
        "coded": ["gp"],
        "recoded": ["palliative", "palliative_care_team"],
        "none": [None],
    }
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO pcn (id, name, ods_code, practice_ods_codes)"
                          " VALUES (:pcn, 'P', 'U1', '[]')"), ids)
        conn.execute(text(
            "INSERT INTO app_user (id, username, display_name, password_hash, role, profession,"
            " pcn_id, active, created_at) VALUES (:user, 'u', 'U', 'x', 'mdt_member', 'gp',"
            " :pcn, true, now())"), ids)
        conn.execute(text(
            "INSERT INTO care_home (id, pcn_id, name, home_type, beds, cqc_location_id,"
            " ods_code, address, postcode, round_weekday, round_time) VALUES (:home, :pcn, 'H',"
            " 'nursing', 10, '1-1', 'H1', 'a', 'p', 1, '10:00')"), ids)
        # Valid (Modulus 11) numbers in the range reserved for tests.
        numbers = dict(zip(contacts, ("9990000115", "9990000123", "9990000131", "9990000158"),
                           strict=True))
        for who in contacts:
            conn.execute(text(
                "INSERT INTO resident (id, nhs_number, given_name, family_name, date_of_birth,"
                " home_id, gp_practice_ods, gp_practice_name, gp_in_aligned_pcn,"
                " dementia_status, status, created_at) VALUES (:id, :nhs, 'A', 'B',"
                " '1940-01-01', :home, 'Y1', 'S', true, 'unknown', 'resident', now())"),
                {"id": ids[who], "nhs": numbers[who], "home": ids["home"]})
            for version, contact in enumerate(contacts[who], start=1):
                plans[who, version] = uuid.uuid4()
                conn.execute(text(
                    "INSERT INTO care_plan (id, resident_id, version, goals, actions,"
                    " escalation_wishes, agreed_with, review_date, created_by_id, created_at)"
                    " VALUES (:id, :resident, :version, '[]', '[]', CAST(:wishes AS jsonb),"
                    " 'family', '2027-03-01', :user, now())"),
                    {"id": plans[who, version], "resident": ids[who], "version": version,
                     "user": ids["user"],
                     "wishes": json.dumps({"hospital_admission": "no",
                                           "preferred_contact": contact})})
        snapshot = conn.execute(text(
            "SELECT id, escalation_wishes FROM care_plan ORDER BY id")).all()

    command.upgrade(config, "e5d2a9c1f905")
    with engine.connect() as conn:
        rows = conn.execute(text(
            "SELECT resident_id, care_plan_id, care_plan_version, original_text, resolved_at"
            " FROM first_contact_review")).all()
        assert rows == [(ids["words"], plans["words", 2], 2, "not GP, call Dr Smith", None)]
        # The clinical record is untouched: every plan version reads as it did.
        assert conn.execute(text(
            "SELECT id, escalation_wishes FROM care_plan ORDER BY id")).all() == snapshot

    command.downgrade(config, before)
    with engine.connect() as conn:
        assert conn.execute(text("SELECT to_regclass('first_contact_review')")).scalar() is None
        assert conn.execute(text("SELECT count(*) FROM care_plan")).scalar() == 6
    command.upgrade(config, "head")
    engine.dispose()


def test_migrations_run_where_the_application_role_does_not_exist_yet(scratch_url: str) -> None:
    config = _config(scratch_url)
    config.attributes["app_role"] = f"cj_absent_{uuid.uuid4().hex[:8]}"
    command.upgrade(config, "head")
    command.downgrade(config, FIRST)


def test_grants_follow_every_migration(scratch_url: str, app_database_url: str) -> None:
    """A table a later migration adds is usable by the application role, and one it puts
    under the append-only trigger is append-only for it, with no step to remember."""
    config = _config(scratch_url)
    config.attributes["app_role"] = APP_ROLE
    command.upgrade(config, "head")
    owner = create_engine(scratch_url)
    with owner.begin() as conn:  # what a future migration might do
        conn.execute(text("CREATE TABLE later (id bigserial PRIMARY KEY, note text)"))
        conn.execute(text("CREATE TABLE later_log (id bigserial PRIMARY KEY, note text)"))
        conn.execute(text(
            "CREATE TRIGGER later_log_no_change BEFORE UPDATE OR DELETE ON later_log "
            "FOR EACH ROW EXECUTE FUNCTION audit_event_append_only()"))
    app = create_engine(make_url(app_database_url).set(database=make_url(scratch_url).database))
    with app.connect() as conn, pytest.raises(DBAPIError):
        conn.execute(text("INSERT INTO later (note) VALUES ('before the grant step')"))
    command.upgrade(config, "head")  # nothing to migrate; the grant step still runs
    with app.begin() as conn:
        conn.execute(text("INSERT INTO later (note) VALUES ('a')"))
        conn.execute(text("UPDATE later SET note = 'b'"))
        conn.execute(text("INSERT INTO later_log (note) VALUES ('a')"))
    with app.connect() as conn, pytest.raises(DBAPIError) as refused:
        conn.execute(text("UPDATE later_log SET note = 'b'"))
    assert getattr(refused.value.orig, "sqlstate", "") == "42501"
    app.dispose()
    owner.dispose()


IDENTIFIERS = "e2a7c3d9f402"
ARABIC_INDIC = str.maketrans("0123456789", "\u0660\u0661\u0662\u0663\u0664\u0665\u0666\u0667"
                                           "\u0668\u0669")
FULLWIDTH = str.maketrans("0123456789Y", "\uff10\uff11\uff12\uff13\uff14\uff15\uff16\uff17"
                                         "\uff18\uff19\uff39")


def test_identifiers_typed_in_other_digits_are_normalised_and_duplicates_reported(
    scratch_url: str, caplog: pytest.LogCaptureFixture,
) -> None:
    """Issue 8: rows stored as typed are rewritten in ASCII, the typed value kept in the audit;
    where two active residents turn out to share a number nothing is deleted or merged: one
    holds the ASCII number, the other keeps its typed one, and both are reported."""
    config = _config(scratch_url)
    command.upgrade(config, "e1f0a8c4b201")
    engine = create_engine(scratch_url)
    pcn, home = uuid.uuid4(), uuid.uuid4()
    one, two = "9995509016", "9990001243"
    people = {  # name: (NHS number as typed, ODS code as typed, status, created)
        "ascii": (one, "Y11111", "resident", "2026-01-01"),
        "arabic_again": (one.translate(ARABIC_INDIC), "Y22222", "resident", "2026-02-01"),
        "fullwidth_gone": (one.translate(FULLWIDTH), "Y11111".translate(FULLWIDTH),
                           "discharged", "2025-06-01"),
        "fullwidth_first": (two.translate(FULLWIDTH), "y11111", "in_hospital", "2026-03-01"),
        "arabic_second": (two.translate(ARABIC_INDIC), "Y11111", "resident", "2026-04-01"),
        "alone": ("9990000018".translate(ARABIC_INDIC), "Y11111", "resident", "2026-05-01"),
    }
    ids = {name: uuid.uuid4() for name in people}
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO pcn (id, name, ods_code, practice_ods_codes)"
                          " VALUES (:pcn, 'P', 'U1', '[\"Y11111\"]')"), {"pcn": pcn})
        conn.execute(text(
            "INSERT INTO care_home (id, pcn_id, name, home_type, beds, cqc_location_id, ods_code,"
            " address, postcode, round_weekday, round_time) VALUES (:home, :pcn, 'H', 'nursing',"
            " 10, '1-1', 'H1', 'a', 'p', 1, '10:00')"), {"home": home, "pcn": pcn})
        for name, (number, ods, status, created) in people.items():
            conn.execute(text(
                "INSERT INTO resident (id, nhs_number, given_name, family_name, date_of_birth,"
                " home_id, gp_practice_ods, gp_practice_name, gp_in_aligned_pcn,"
                " dementia_status, status, created_at) VALUES (:id, :number, 'A', :name,"
                " '1940-01-01', :home, :ods, 'S', false, 'unknown', :status, :created)"),
                {"id": ids[name], "number": number, "name": name, "home": home, "ods": ods,
                 "status": status, "created": created})

    with caplog.at_level("WARNING"):
        command.upgrade(config, IDENTIFIERS)

    with engine.connect() as conn:
        stored = {name: (number, ods, aligned) for name, number, ods, aligned in conn.execute(
            text("SELECT family_name, nhs_number, gp_practice_ods, gp_in_aligned_pcn"
                 " FROM resident"))}
        audits = conn.execute(text(
            "SELECT action, resident_id, before, after, channel FROM audit_event"
            " ORDER BY id")).all()
    assert stored == {
        "ascii": (one, "Y11111", False),  # untouched (its alignment flag is not ours to fix)
        "arabic_again": (one.translate(ARABIC_INDIC), "Y22222", False),  # left, reported
        "fullwidth_gone": (one, "Y11111", True),  # discharged: no clash
        "fullwidth_first": (two, "Y11111", True),  # the earlier of two typed forms holds it
        "arabic_second": (two.translate(ARABIC_INDIC), "Y11111", False),  # left, reported
        "alone": ("9990000018", "Y11111", False),
    }
    by_id = {v: k for k, v in ids.items()}
    duplicates = sorted(by_id[r.resident_id] for r in audits
                        if r.action == "resident.duplicate_nhs_number")
    assert duplicates == sorted(["ascii", "arabic_again", "fullwidth_first", "arabic_second"])
    normalised = {by_id[r.resident_id]: (r.before, r.after) for r in audits
                  if r.action == "resident.identifier_normalised"}
    assert normalised["alone"] == ({"nhs_number": "9990000018".translate(ARABIC_INDIC)},
                                   {"nhs_number": "9990000018"})
    assert normalised["fullwidth_first"][1] == {"nhs_number": two, "gp_practice_ods": "Y11111"}
    assert set(normalised) == {"alone", "fullwidth_first", "fullwidth_gone"}
    assert {r.channel for r in audits} == {"migration"}
    warnings = [r.getMessage() for r in caplog.records if "identifier normalisation" in
                r.getMessage()]
    assert sum("share one NHS number" in w for w in warnings) == 2
    assert any("3 resident(s) normalised; 2 left as typed" in w for w in warnings), warnings

    # Down and up again: nothing more is rewritten, nothing is lost.
    command.downgrade(config, "e1f0a8c4b201")
    command.upgrade(config, "head")
    with engine.connect() as conn:
        again = {name: (number, ods, aligned) for name, number, ods, aligned in conn.execute(
            text("SELECT family_name, nhs_number, gp_practice_ods, gp_in_aligned_pcn"
                 " FROM resident"))}
        assert conn.execute(text("SELECT count(*) FROM audit_event WHERE action ="
                                 " 'resident.identifier_normalised'")).scalar() == 3
    assert again == stored
    engine.dispose()


def test_the_models_and_the_migrations_describe_the_same_schema(scratch_url: str) -> None:
    """Every schema change is a migration: the tables Alembic builds are the models' tables."""
    from alembic.autogenerate import compare_metadata
    from alembic.migration import MigrationContext

    import care.models  # noqa: F401  (every table on the metadata)
    from care.db import Base

    command.upgrade(_config(scratch_url), "head")
    engine = create_engine(scratch_url)
    with engine.connect() as conn:
        diff = compare_metadata(MigrationContext.configure(conn), Base.metadata)
    engine.dispose()
    assert diff == []


def test_steps_keep_the_round_or_escalation_they_belong_to_across_the_context_change(
    scratch_url: str,
) -> None:
    """home_round_id / deterioration_id become (context_kind, context_id), and back."""
    config = _config(scratch_url)
    command.upgrade(config, "head")
    engine = create_engine(scratch_url)
    ids = {k: uuid.uuid4() for k in ("pcn", "home", "round", "step")}
    with engine.begin() as conn:
        conn.execute(text("INSERT INTO pcn (id, name, ods_code, practice_ods_codes) "
                          "VALUES (:pcn, 'P', 'U1', '[]')"), ids)
        conn.execute(text(
            "INSERT INTO care_home (id, pcn_id, name, home_type, beds, ods_code, cqc_location_id,"
            " address, postcode, round_weekday, round_time) VALUES (:home, :pcn, 'H', 'nursing',"
            " 10, '1-1', 'H1', 'a', 'p', 1, '10:00')"), ids)
        conn.execute(text(
            "INSERT INTO home_round (id, home_id, week, scheduled_at, status, created_at) "
            "VALUES (:round, :home, '2026-W48', now(), 'preparing', now())"), ids)
        conn.execute(text(
            "INSERT INTO step (id, dedupe_key, home_id, kind, title, status, priority,"
            " candidate_group, due_at, deadline_rule, deadline_base, opened_at, version,"
            " context_kind, context_id) VALUES (:step, 'k', :home, 'prepare_round', 'T', 'ready',"
            " 2, 'g', now(), 'r', now(), now(), 1, 'home_round', :round)"), ids)
    command.downgrade(config, "f1a3b7c2d906")
    with engine.connect() as conn:
        assert conn.execute(text("SELECT home_round_id FROM step")).scalar() == ids["round"]
    command.upgrade(config, "head")
    with engine.connect() as conn:
        row = conn.execute(text("SELECT context_kind, context_id FROM step")).one()
    assert tuple(row) == ("home_round", ids["round"])
    engine.dispose()
