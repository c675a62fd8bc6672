"""The ``notify.send`` activity: write notifications to the outbox, then hand them to a sink.

The workflow names recipients as ``role:ROLE`` or ``role:ROLE@REGION`` (resolved
here to the email of every active person holding the role, one outbox row per
person under ``key#person``), ``person:ID`` (that person's email), or a literal
address. The outbox row is written with ``INSERT ... ON CONFLICT DO NOTHING``
on its key, and only a newly written row is handed to the sink (inside the
transaction), so a retried activity writes each row once and a failing sink is
retried rather than losing the message.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from typing import Protocol

from sqlalchemy import Connection
from temporalio import activity

from activities import _db
from activities.directory import PersonRecord, load_people
from casework.contracts import Notification

log = logging.getLogger("casework.notify")


@dataclass(frozen=True, slots=True)
class OutboxMessage:
    """One row written to the ``notifications`` outbox."""

    key: str
    case_id: str
    step_id: str | None
    channel: str
    recipient: str
    subject: str
    body: str


class NotificationSink(Protocol):
    """Delivers outbox messages (email, SMS, chat...). Called once per new outbox row."""

    def deliver(self, message: OutboxMessage) -> None:
        """Send ``message``; raising makes the activity retry (the row stays in the outbox)."""


class OutboxOnlySink:
    """The default sink: the outbox row is the delivery (another system drains it)."""

    def deliver(self, message: OutboxMessage) -> None:
        """Do nothing: the message is already in the outbox."""


class LogSink:
    """A development sink that logs every message."""

    def deliver(self, message: OutboxMessage) -> None:
        """Log ``message`` at INFO level."""
        log.info(
            "notify %s -> %s [%s] %s",
            message.channel,
            message.recipient,
            message.key,
            message.subject,
        )


_sink: NotificationSink = OutboxOnlySink()


def set_sink(sink: NotificationSink) -> None:
    """Replace the process-wide notification sink."""
    global _sink
    _sink = sink


def _address(person: PersonRecord, channel: str) -> str:
    if channel == "email" and person.email:
        return person.email
    return person.email or f"person:{person.id}"


def resolve(recipient: str, people: list[PersonRecord], channel: str) -> list[tuple[str, str]]:
    """Return ``(key suffix, address)`` pairs for ``recipient``.

    A role resolves to every active person holding it (suffix ``#person``); a
    role nobody holds resolves to the role name itself so the message is kept.
    """
    if recipient.startswith("role:"):
        role, _, region = recipient[5:].partition("@")
        holders = [
            p for p in people if p.active and role in p.roles and (not region or p.region == region)
        ]
        if holders:
            return [(f"#{p.id}", _address(p, channel)) for p in holders]
        return [("", recipient)]
    pid = recipient[7:] if recipient.startswith("person:") else recipient
    if "@" not in pid:
        for p in people:
            if p.id == pid:
                return [("", _address(p, channel))]
    return [("", recipient)]


def write_outbox(
    conn: Connection, note: Notification, people: list[PersonRecord]
) -> list[OutboxMessage]:
    """Write the outbox rows of ``note``; return the rows that were new."""
    from casework.records.tables import notifications

    fresh: list[OutboxMessage] = []
    for suffix, address in resolve(note.recipient, people, note.channel):
        msg = OutboxMessage(
            key=note.key + suffix,
            case_id=note.case_id,
            step_id=note.step_id,
            channel=note.channel,
            recipient=address,
            subject=note.subject,
            body=note.body,
        )
        row = {
            "key": msg.key,
            "case_id": msg.case_id,
            "step_id": msg.step_id,
            "channel": msg.channel,
            "recipient": msg.recipient,
            "subject": msg.subject,
            "body": msg.body,
            "created_at": _db.now(),
        }
        if _db.insert_ignore(conn, notifications, row):
            fresh.append(msg)
    return fresh


@activity.defn(name="notify.send")
def send(note: Notification) -> None:
    """Write ``note`` to the outbox (once per key and resolved person) and deliver new rows."""
    with _db.engine().begin() as conn:
        needs_directory = note.recipient.startswith("role:") or "@" not in note.recipient
        people = load_people(conn) if needs_directory else []
        # delivering before the commit: a failing sink rolls the rows back and the retry resends
        for msg in write_outbox(conn, note, people):
            _sink.deliver(msg)
