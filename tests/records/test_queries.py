"""Case lists, detail, timelines, inboxes, workload and surveys on both dialects."""

from __future__ import annotations

import datetime as dt

import pytest
from sqlalchemy import Engine

from casework.errors import CaseworkError, NotFoundError
from casework.language.policies import Directory, Person
from casework.records.directory import load_directory
from casework.records.projection import apply_batch_on
from casework.records.queries import (
    case_timeline,
    get_case,
    inbox,
    list_cases,
    surveys,
    workload,
)
from casework.records.tables import survey_responses
from tests.records.factories import T0, batch, clock, task, view

PEOPLE = Directory(
    people=[
        Person(
            id="ann",
            name="Ann",
            email="a@x",
            roles=["agent"],
            team="uk-care",
            region="uk",
            skills=["billing", "french"],
        ),
        Person(id="ben", name="Ben", email="b@x", roles=["agent"], team="us-care", region="us"),
        Person(
            id="sue", name="Sue", email="s@x", roles=["supervisor"], team="uk-care", region="uk"
        ),
    ]
)


def cid(n: int) -> str:
    return f"C-260504-{n:06X}"


@pytest.fixture
def loaded(db_engine: Engine) -> Engine:
    """Twelve cases over twelve days with tasks for the inbox and workload tests."""
    load_directory(db_engine, PEOPLE)
    t = T0 + dt.timedelta(hours=1)
    tasks = [
        task(cid(1), "a", created_at=t),  # anyone with agent
        task(cid(1), "b", created_at=t + dt.timedelta(minutes=1), region="uk"),
        task(cid(2), "c", created_at=t + dt.timedelta(minutes=2), region="us"),
        task(cid(3), "d", created_at=t + dt.timedelta(minutes=3), skills=["billing"]),
        task(cid(3), "e", created_at=t + dt.timedelta(minutes=4), skills=["billing", "legal"]),
        task(cid(4), "f", created_at=t + dt.timedelta(minutes=5), team="us-care"),
        task(cid(4), "g", created_at=t + dt.timedelta(minutes=6), person="ben"),
        task(cid(5), "h", created_at=t + dt.timedelta(minutes=7), role="supervisor"),
        task(cid(5), "i", created_at=t + dt.timedelta(minutes=8), state="claimed", assignee="ann"),
        task(cid(6), "j", created_at=t + dt.timedelta(minutes=9), state="completed"),
        task(cid(6), "k", created_at=t + dt.timedelta(minutes=10), assignee="ben"),
        task(
            cid(7),
            "l",
            created_at=t + dt.timedelta(minutes=11),
            kind="approval",
            role=None,
            eligible=["sue", "ann"],
        ),
        task(
            cid(7),
            "m",
            created_at=t + dt.timedelta(minutes=12),
            kind="approval",
            role=None,
            eligible=["sue"],
        ),
        task(cid(8), "n", created_at=t + dt.timedelta(minutes=13), assignee="ann"),
    ]
    batches = []
    for n in range(12):
        c = cid(n)
        snap = view(
            case_id=c,
            last_seq=3,
            opened_at=T0 + dt.timedelta(days=n),
            status="open" if n % 3 else "resolved",
            priority=["low", "normal", "high", "urgent"][n % 4],
            region="uk" if n % 2 else "us",
            team="uk-care" if n % 2 else "us-care",
            assignee="ann" if n < 4 else None,
            sla_state=["on_track", "at_risk", "breached"][n % 3],
            customer=f"cust{n % 5}",
            process="complaint" if n < 8 else "refund",
            clocks=[clock(started_at=T0 + dt.timedelta(days=n))],
            tasks=[tv for tv in tasks if tv.case_id == c],
        )
        batches.append(batch(snap, range(1, 4 if n != 1 else 5)))
    with db_engine.begin() as conn:  # one transaction: fast fixture
        for b in batches:
            apply_batch_on(conn, b)
    return db_engine


def test_list_newest_first_with_paging(loaded: Engine) -> None:
    seen: list[str] = []
    cursor = None
    while True:
        page = list_cases(loaded, limit=5, cursor=cursor)
        seen += [c.case_id for c in page.items]
        cursor = page.next_cursor
        if cursor is None:
            break
    assert seen == [cid(n) for n in reversed(range(12))]


@pytest.mark.parametrize(
    ("filters", "expected"),
    [
        ({"status": "resolved"}, [9, 6, 3, 0]),
        ({"status": ["resolved", "open"], "process": "refund"}, [11, 10, 9, 8]),
        ({"region": "uk", "priority": "urgent"}, [11, 7, 3]),
        ({"team": "us-care", "sla": "on-track"}, [6, 0]),
        ({"sla": "breached"}, [11, 8, 5, 2]),
        ({"assignee": "ann"}, [3, 2, 1, 0]),
        ({"customer": "cust1"}, [11, 6, 1]),
        ({"opened_since": (T0 + dt.timedelta(days=9)).date()}, [11, 10, 9]),
        (
            {"opened_since": T0 + dt.timedelta(days=2), "opened_until": T0 + dt.timedelta(days=4)},
            [3, 2],
        ),
    ],
)
def test_list_filters(loaded: Engine, filters: dict[str, object], expected: list[int]) -> None:
    page = list_cases(loaded, **filters)  # type: ignore[arg-type]
    assert [c.case_id for c in page.items] == [cid(n) for n in expected]


def test_list_rejects_bad_input(loaded: Engine) -> None:
    with pytest.raises(CaseworkError, match="SLA state"):
        list_cases(loaded, sla="late")
    with pytest.raises(CaseworkError, match="cursor"):
        list_cases(loaded, cursor="%%%")
    with pytest.raises(CaseworkError, match="limit"):
        list_cases(loaded, limit=0)


def test_get_case(loaded: Engine) -> None:
    detail = get_case(loaded, cid(3))
    assert [t.step_id for t in detail.tasks] == ["d", "e"]
    assert detail.tasks[1].skills == ["billing", "legal"]
    assert detail.data["amount"] == 12.5
    assert detail.opened_at.tzinfo is not None
    with pytest.raises(NotFoundError, match="case"):
        get_case(loaded, "C-000000-000000")


def test_timeline_pages_by_seq(loaded: Engine) -> None:
    page = case_timeline(loaded, cid(1), limit=3)
    assert [e.seq for e in page.items] == [1, 2, 3]
    assert page.next_cursor == "3"
    rest = case_timeline(loaded, cid(1), after_seq=3)
    assert [e.seq for e in rest.items] == [4]
    assert rest.next_cursor is None
    with pytest.raises(NotFoundError):
        case_timeline(loaded, "C-000000-000000")


def ids(page: object) -> list[str]:
    return [t.step_id for t in page.items]  # type: ignore[attr-defined]


def test_inbox_only_tasks_the_person_may_take(loaded: Engine) -> None:
    assert ids(inbox(loaded, person="ann")) == ["a", "b", "d", "l", "n"]
    assert ids(inbox(loaded, person="ben")) == ["a", "c", "f", "g", "k"]
    assert ids(inbox(loaded, person="sue")) == ["h", "l", "m"]
    assert ids(inbox(loaded, person="ann", region="uk")) == ["b"]
    assert ids(inbox(loaded, person="ann", role="supervisor")) == []


def test_inbox_mine_and_paging(loaded: Engine) -> None:
    assert ids(inbox(loaded, person="ann", mine=True)) == ["i", "n"]
    first = inbox(loaded, person="ann", limit=2)
    assert ids(first) == ["a", "b"]
    assert first.items[0].case_process == "complaint"
    second = inbox(loaded, person="ann", limit=2, cursor=first.next_cursor)
    assert ids(second) == ["d", "l"]


def test_inbox_of_unknown_person_is_an_error(loaded: Engine) -> None:
    with pytest.raises(NotFoundError, match="person 'zed'"):
        inbox(loaded, person="zed")


def test_workload(loaded: Engine) -> None:
    rows = workload(loaded)
    assert [(r.person, r.open, r.claimed, r.total) for r in rows] == [
        ("ann", 1, 1, 2),
        ("ben", 1, 0, 1),
    ]
    assert rows[0].oldest_task_id == f"{cid(5)}.i.1"
    uk = workload(loaded, team="uk-care")
    assert [(r.person, r.total) for r in uk] == [("ann", 2), ("sue", 0)]


def test_surveys(db_engine: Engine) -> None:
    with db_engine.begin() as conn:
        for n, score in enumerate([5, 4, 2]):
            conn.execute(
                survey_responses.insert().values(
                    case_id=f"S-{n}",
                    subject_case_id=cid(n % 2),
                    score=score,
                    comment=None,
                    responded_at=T0 + dt.timedelta(hours=n),
                )
            )
    result = surveys(db_engine, limit=2)
    assert (result.count, result.average) == (3, 3.67)
    assert [s.case_id for s in result.page.items] == ["S-2", "S-1"]
    more = surveys(db_engine, limit=2, cursor=result.page.next_cursor)
    assert [s.case_id for s in more.page.items] == ["S-0"]
    assert surveys(db_engine, subject_case_id=cid(0)).count == 2
    assert surveys(db_engine, since=T0 + dt.timedelta(hours=1)).count == 2
