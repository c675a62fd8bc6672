"""Every activity writes its effect once per key, on SQLite and PostgreSQL."""

from __future__ import annotations

from concurrent.futures import ThreadPoolExecutor

import pytest
from sqlalchemy import Engine, select
from temporalio.exceptions import ApplicationError

from activities import actions, notify
from casework.contracts import ActionRequest, Notification
from casework.records.tables import effects, notifications, survey_responses
from tests.activities.conftest import add_person, count


def _req(key: str = "C-260101-AAAAAA:refund:1", **inp: object) -> ActionRequest:
    case_id, step, _ = key.split(":")
    return ActionRequest(key=key, case_id=case_id, step_id=step, input=dict(inp))


@pytest.mark.parametrize("name", sorted(set(actions.CATALOG) - {"surveys.record"}))
def test_each_action_writes_its_effect_once(engine: Engine, name: str) -> None:
    fn = actions.CATALOG[name]
    first = fn(_req(amount=10, customer="ACME", course="intro", policy="p1"))
    again = fn(_req(amount=10, customer="ACME", course="intro", policy="p1"))
    assert first == again
    assert count(engine, effects) == 1
    with engine.connect() as conn:
        row = conn.execute(select(effects)).mappings().one()
    assert row["activity"] == name
    assert row["payload"]["result"] == first


def test_refund_id_is_stable_and_negative_amount_is_refused(engine: Engine) -> None:
    result = actions.issue_refund(_req(amount=12.5, currency="GBP"))
    assert result["refund_id"].startswith("RF-")
    assert result == actions.issue_refund(_req(amount=12.5, currency="GBP"))
    with pytest.raises(ApplicationError, match="must not be negative") as err:
        actions.issue_refund(_req("C-260101-AAAAAA:refund:2", amount=-1))
    assert err.value.non_retryable
    assert count(engine, effects) == 1


def test_survey_is_recorded_once_per_case(engine: Engine) -> None:
    req = _req("C-260101-BBBBBB:record:1", score=4, comment="ok", subject_case_id="C-260101-AAAAAA")
    assert actions.record_survey(req) == {"recorded": True, "score": 4}
    actions.record_survey(req)
    assert count(engine, survey_responses) == 1
    assert count(engine, effects) == 1
    with pytest.raises(ApplicationError, match="between 1 and 5"):
        actions.record_survey(_req("C-260101-CCCCCC:record:1", score=9))


def test_concurrent_calls_with_one_key_write_once(engine: Engine) -> None:
    with ThreadPoolExecutor(8) as pool:
        results = list(pool.map(lambda _: actions.enroll(_req(course="x")), range(16)))
    assert len({r["enrollment_id"] for r in results}) == 1
    assert count(engine, effects) == 1


def _note(recipient: str, key: str = "C-260101-AAAAAA:tell:1") -> Notification:
    return Notification(
        key=key,
        case_id="C-260101-AAAAAA",
        step_id="tell",
        channel="email",
        recipient=recipient,
        subject="Hi",
        body="Hello",
    )


def test_notification_is_written_once(engine: Engine) -> None:
    notify.send(_note("customer@example.org"))
    notify.send(_note("customer@example.org"))
    assert count(engine, notifications) == 1


def test_role_recipient_gets_one_row_per_person(engine: Engine) -> None:
    add_person(engine, "cora", "coordinator")
    add_person(engine, "cody", "coordinator")
    add_person(engine, "cy", "coordinator", region="amer")
    add_person(engine, "old", "coordinator", active=False)
    for _ in range(2):
        notify.send(_note("role:coordinator@emea"))
    with engine.connect() as conn:
        rows = conn.execute(select(notifications.c.key, notifications.c.recipient)).all()
    assert sorted(rows) == [
        ("C-260101-AAAAAA:tell:1#cody", "cody@example.com"),
        ("C-260101-AAAAAA:tell:1#cora", "cora@example.com"),
    ]


def test_person_recipient_resolves_to_email(engine: Engine) -> None:
    add_person(engine, "dana", "frontline")
    notify.send(_note("dana", key="k:1"))
    notify.send(_note("person:dana", key="k:2"))
    with engine.connect() as conn:
        assert sorted(conn.execute(select(notifications.c.recipient)).scalars()) == [
            "dana@example.com",
            "dana@example.com",
        ]


class _Failing:
    def __init__(self) -> None:
        self.calls = 0

    def deliver(self, message: notify.OutboxMessage) -> None:
        self.calls += 1
        if self.calls == 1:
            raise RuntimeError("smtp down")


def test_failing_sink_rolls_back_so_the_retry_delivers(engine: Engine) -> None:
    sink = _Failing()
    notify.set_sink(sink)
    try:
        with pytest.raises(RuntimeError):
            notify.send(_note("x@example.org"))
        assert count(engine, notifications) == 0
        notify.send(_note("x@example.org"))
        notify.send(_note("x@example.org"))
    finally:
        notify.set_sink(notify.OutboxOnlySink())
    assert sink.calls == 2
    assert count(engine, notifications) == 1
