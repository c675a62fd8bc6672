"""The action catalog: activities that action steps call by name.

Each action takes an :class:`ActionRequest` whose ``key`` is
``{case_id}:{step_id}:{visit}``, writes its effect once to the ``effects``
table (the key is the primary key) and returns a result map. A retried call
with the same key writes nothing and returns the result stored the first time,
so results such as a refund id never change.
"""

from __future__ import annotations

import hashlib
from collections.abc import Callable
from typing import Any

from sqlalchemy import Connection, select
from temporalio import activity
from temporalio.exceptions import ApplicationError

from activities import _db
from casework.contracts import ActionRequest


def _ref(prefix: str, key: str) -> str:
    return f"{prefix}-{hashlib.sha256(key.encode()).hexdigest()[:10].upper()}"


def record_effect(
    conn: Connection, name: str, req: ActionRequest, result: dict[str, Any]
) -> dict[str, Any]:
    """Write the effect of ``req`` once; return the result stored under its key."""
    from casework.records.tables import effects

    payload = {"input": req.input, "result": result}
    row = {
        "key": req.key,
        "case_id": req.case_id,
        "activity": name,
        "payload": payload,
        "created_at": _db.now(),
    }
    if not _db.insert_ignore(conn, effects, row):
        stored = conn.execute(
            select(effects.c.payload).where(effects.c.key == req.key)
        ).scalar_one()
        return dict(stored.get("result", {})) if isinstance(stored, dict) else result
    return result


def _run(name: str, req: ActionRequest, result: dict[str, Any]) -> dict[str, Any]:
    with _db.engine().begin() as conn:
        return record_effect(conn, name, req, result)


def _bad_input(name: str, message: str) -> ApplicationError:
    return ApplicationError(f"{name}: {message}", type="InvalidActionInput", non_retryable=True)


@activity.defn(name="billing.issue_refund")
def issue_refund(req: ActionRequest) -> dict[str, Any]:
    """Issue a refund of ``input.amount`` (``input.currency``); returns ``refund_id``."""
    try:
        amount = float(req.input.get("amount", 0))
    except (TypeError, ValueError):
        raise _bad_input("billing.issue_refund", "amount must be a number") from None
    if amount < 0:
        raise _bad_input("billing.issue_refund", f"amount must not be negative, got {amount}")
    result = {
        "refund_id": _ref("RF", req.key),
        "amount": amount,
        "currency": str(req.input.get("currency", "EUR")),
        "status": "issued",
    }
    return _run("billing.issue_refund", req, result)


@activity.defn(name="crm.update_customer")
def update_customer(req: ActionRequest) -> dict[str, Any]:
    """Update the customer record with ``input`` fields; returns the updated field names."""
    fields = sorted(k for k in req.input if k != "customer")
    result = {
        "customer": req.input.get("customer"),
        "updated": fields,
        "crm_ref": _ref("CRM", req.key),
    }
    return _run("crm.update_customer", req, result)


@activity.defn(name="policies.publish_change")
def publish_change(req: ActionRequest) -> dict[str, Any]:
    """Publish an approved policy change; returns ``publication_id``."""
    result = {
        "publication_id": _ref("PUB", req.key),
        "policy": req.input.get("policy"),
        "status": "published",
    }
    return _run("policies.publish_change", req, result)


@activity.defn(name="training.enroll")
def enroll(req: ActionRequest) -> dict[str, Any]:
    """Enrol a person on a course; returns ``enrollment_id``."""
    result = {
        "enrollment_id": _ref("ENR", req.key),
        "person": req.input.get("person"),
        "course": req.input.get("course"),
    }
    return _run("training.enroll", req, result)


@activity.defn(name="surveys.record")
def record_survey(req: ActionRequest) -> dict[str, Any]:
    """Store a survey answer in ``survey_responses`` (once per survey case); returns the score."""
    from casework.records.tables import survey_responses

    try:
        score = int(req.input.get("score", 0))
    except (TypeError, ValueError):
        raise _bad_input("surveys.record", "score must be a whole number 1-5") from None
    if not 1 <= score <= 5:
        raise _bad_input("surveys.record", f"score must be between 1 and 5, got {score}")
    comment = req.input.get("comment")
    subject = req.input.get("subject_case_id")
    result = {"recorded": True, "score": score}
    with _db.engine().begin() as conn:
        _db.insert_ignore(
            conn,
            survey_responses,
            {
                "case_id": req.case_id,
                "subject_case_id": str(subject) if subject else None,
                "score": score,
                "comment": str(comment) if comment else None,
                "responded_at": _db.now(),
            },
        )
        return record_effect(conn, "surveys.record", req, result)


#: Every action activity by the name action steps use.
CATALOG: dict[str, Callable[[ActionRequest], dict[str, Any]]] = {
    "billing.issue_refund": issue_refund,
    "crm.update_customer": update_customer,
    "policies.publish_change": publish_change,
    "training.enroll": enroll,
    "surveys.record": record_survey,
}
