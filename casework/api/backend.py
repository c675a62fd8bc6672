"""The API's service layer: records queries, directory, plans and Temporal, behind one object.

Routers and pages call a :class:`Backend`; it runs the synchronous records
queries in a worker thread and the workflow calls through :mod:`casework.client`,
so every failure surfaces as a :class:`~casework.errors.CaseworkError`.
"""

from __future__ import annotations

import asyncio
import re
from collections.abc import Callable
from typing import Any, TypeVar

import anyio.to_thread
from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError
from temporalio.client import Client

from casework import client as engine_client
from casework.api import _convert as cv
from casework.api._plans import PlanCatalog
from casework.api.schemas import (
    CaseCreate,
    CaseDetail,
    CasePage,
    CasePublic,
    CaseRecord,
    ClockPublic,
    DefinitionDetail,
    DefinitionSummary,
    EventPublic,
    InboxTask,
    PersonPublic,
    StepSummary,
    TaskActionRequest,
    TaskPage,
    TaskPublic,
    Timeline,
    VersionSummary,
    WorkloadRow,
)
from casework.contracts import Actor, CaseAction, CaseView, TaskAction, TaskView
from casework.errors import CaseworkError, NotFoundError, RecordsError
from casework.language.plan import Plan
from casework.settings import Settings

T = TypeVar("T")
#: What a case id can look like (``C-YYMMDD-XXXXXX``, child cases append ``-step-visit``).
_CASE_ID = re.compile(r"[A-Za-z0-9][A-Za-z0-9_.:-]{0,127}")
#: Seconds the case page waits for the live state before showing the records only.
LIVE_TIMEOUT = 2.0


def check_case_id(case_id: str) -> str:
    """Return ``case_id``, or raise NotFoundError when it cannot name a case at all.

    Impossible ids are answered here so they never reach Temporal.
    """
    if not _CASE_ID.fullmatch(case_id):
        raise NotFoundError("case", case_id, hint="case ids look like C-261201-1A2B3C")
    return case_id


def _records_error(exc: SQLAlchemyError) -> RecordsError:
    first = str(exc).splitlines()[0][:200] if str(exc) else type(exc).__name__
    return RecordsError(
        f"the records database failed: {first}",
        hint="check CASEWORK_DATABASE_URL and run 'casework db upgrade'",
    )


class Backend:
    """Everything the API does, for one settings object.

    Args:
        settings: The settings (records URL, Temporal address, task queue).
        engine: The records engine; default: one made from ``settings``.
        temporal_client: A connected client; default: connect on first use.
    """

    def __init__(
        self,
        settings: Settings,
        *,
        engine: Engine | None = None,
        temporal_client: Client | None = None,
    ) -> None:
        from casework.records.db import make_engine

        self.settings = settings
        self._own_engine = engine is None
        self.engine = engine or make_engine(settings.records_url())
        self._client = temporal_client
        self._connect_lock = asyncio.Lock()
        self.plans = PlanCatalog(settings, self.engine)

    async def close(self) -> None:
        """Release the engine if this backend made it."""
        if self._own_engine:
            self.engine.dispose()

    # ---- plumbing ----------------------------------------------------------------------------

    async def db(self, fn: Callable[..., T], /, *args: Any, **kwargs: Any) -> T:
        """Run a synchronous records function in a thread; database failures -> RecordsError."""

        def call() -> T:
            try:
                return fn(*args, **kwargs)
            except SQLAlchemyError as exc:
                raise _records_error(exc) from exc

        return await anyio.to_thread.run_sync(call)

    async def temporal(self) -> Client:
        """Return the Temporal client, connecting on first use."""
        if self._client is None:
            async with self._connect_lock:
                if self._client is None:
                    self._client = await engine_client.connect(self.settings, timeout=5.0)
        return self._client

    # ---- people ------------------------------------------------------------------------------

    async def people(self) -> list[PersonPublic]:
        """Every active person of the directory (the records' people table)."""
        from casework.records.directory import list_people

        return cv.to_list(PersonPublic, await self.db(list_people, self.engine))

    async def person(self, person_id: str) -> PersonPublic:
        """One person of the records' directory (active or not).

        Raises:
            NotFoundError: When nobody has that id.
        """
        from casework.records.directory import get_person

        found = await self.db(get_person, self.engine, person_id)
        if found is None:
            raise NotFoundError("person", person_id, hint="GET /people lists the directory")
        return cv.to(PersonPublic, found)

    async def actor_for_token(self, token: str) -> Actor | None:
        """Return the actor owning ``token``; None if it is unknown, revoked or orphaned."""
        from casework.records.tokens import verify_token

        person_id = await self.db(verify_token, self.engine, token)
        if person_id is None:
            return None
        try:
            person = await self.person(str(person_id))
        except NotFoundError:
            return None
        if not person.active:
            return None
        return Actor(
            id=person.id,
            name=person.name,
            roles=list(person.roles),
            team=person.team,
            region=person.region,
            skills=list(person.skills),
        )

    async def workload(self, *, team: str | None = None) -> list[WorkloadRow]:
        """Open and claimed tasks per person."""
        from casework.records import queries

        rows = await self.db(queries.workload, self.engine, team=team)
        return cv.to_list(WorkloadRow, rows)

    # ---- cases -------------------------------------------------------------------------------

    async def list_cases(self, **filters: Any) -> CasePage:
        """One page of cases (filters as ``casework cases``)."""
        from casework.records import queries

        page = await self.db(queries.list_cases, self.engine, **filters)
        items, cursor = cv.page_parts(page)
        return CasePage(items=cv.to_list(CasePublic, items), next_cursor=cursor)

    async def _records_case(
        self, case_id: str
    ) -> tuple[CaseRecord, list[TaskPublic], list[ClockPublic]]:
        from casework.records import queries

        found = await self.db(queries.get_case, self.engine, check_case_id(case_id))
        if found is None:
            raise NotFoundError("case", case_id, hint="GET /cases lists the cases")
        data = cv.as_dict(found)
        case_part = data.get("case", data)
        tasks = data.get("tasks") or []
        clocks = data.get("clocks") or []
        return (
            cv.to(CaseRecord, case_part),
            cv.to_list(TaskPublic, tasks),
            cv.to_list(ClockPublic, clocks),
        )

    async def case_record(self, case_id: str) -> CaseRecord:
        """A case's stored fields, else its live state.

        Raises:
            NotFoundError: When neither the records nor Temporal know the case.
        """
        try:
            return (await self._records_case(case_id))[0]
        except NotFoundError:
            live, _ = await self.live_state(case_id)
            if live is None:
                raise
            return CaseRecord.model_validate(live.model_dump())

    async def live_state(self, case_id: str) -> tuple[CaseView | None, str | None]:
        """The workflow's state, or None and why it is missing (never raises)."""

        async def query() -> CaseView:
            return await engine_client.case_state(await self.temporal(), check_case_id(case_id))

        try:
            return await asyncio.wait_for(query(), LIVE_TIMEOUT), None
        except TimeoutError:
            return None, "the workflow did not answer in time"
        except CaseworkError as exc:
            return None, str(exc)

    async def case_detail(self, case_id: str) -> CaseDetail:
        """A case from the records plus its live state when the workflow answers.

        A case that is running but not yet projected to the records is shown
        from its live state alone.

        Raises:
            NotFoundError: When neither the records nor Temporal know the case.
        """
        try:
            case, tasks, clocks = await self._records_case(case_id)
        except NotFoundError:
            live, _ = await self.live_state(case_id)
            if live is None:
                raise
            return _from_live(live)
        timeline = await self.timeline(case_id, after_seq=0, limit=500)
        live, why = await self.live_state(case_id)
        return CaseDetail(
            case=case,
            tasks=tasks,
            clocks=clocks,
            timeline=timeline.events,
            live=live,
            live_error=why,
        )

    async def timeline(self, case_id: str, *, after_seq: int, limit: int) -> Timeline:
        """A case's events after ``after_seq``.

        Raises:
            NotFoundError: When the case is unknown.
        """
        from casework.records import queries

        page = await self.db(
            queries.case_timeline, self.engine, case_id, after_seq=after_seq, limit=limit
        )
        items, more = cv.page_parts(page)
        return Timeline(
            case_id=case_id,
            events=cv.to_list(EventPublic, items),
            next_after_seq=int(more) if more else None,
        )

    async def open_case(self, actor: Actor, body: CaseCreate) -> CaseView:
        """Start a case of the latest (or given) version of a process."""
        plan = await anyio.to_thread.run_sync(self.plans.for_opening, body.process, body.version)
        client = await self.temporal()
        return await engine_client.open_case(
            client, plan, dict(body.data), actor, settings=self.settings
        )

    async def signal(self, actor: Actor, case_id: str, event: str, payload: dict[str, Any]) -> None:
        """Deliver an outside event, sent by ``actor``."""
        check_case_id(case_id)
        client = await self.temporal()
        await engine_client.signal_case(client, case_id, event, payload, sender=actor.id)

    async def cancel(self, actor: Actor, case_id: str, reason: str) -> CaseView:
        """Cancel a case through the workflow's ``cancel`` Update."""
        client = await self.temporal()
        return await engine_client.cancel_case(client, check_case_id(case_id), actor, reason)

    async def change_priority(
        self, actor: Actor, case_id: str, priority: str, reason: str | None
    ) -> CaseView:
        """Change a case's priority through the ``change_priority`` Update."""
        client = await self.temporal()
        action = CaseAction(actor=actor, priority=priority, reason=reason)
        return await engine_client.case_action(
            client, check_case_id(case_id), "change_priority", action
        )

    # ---- tasks -------------------------------------------------------------------------------

    async def task_action(
        self,
        actor: Actor,
        update: str,
        task_id: str,
        body: TaskActionRequest,
        *,
        assignee: str | None = None,
    ) -> TaskView:
        """Run a task Update as ``actor``; the validator's refusal raises TaskActionRejected."""
        # malformed ids are 404 before any network call
        check_case_id(engine_client.split_task_id(task_id)[0])
        action = TaskAction(
            task_id=task_id,
            actor=actor,
            form=dict(body.form),
            outcome=body.outcome,
            reason=body.reason,
            comment=body.comment,
            assignee=assignee,
        )
        client = await self.temporal()
        return await engine_client.task_action(client, update, action)

    async def inbox(
        self,
        actor: Actor,
        *,
        mine: bool,
        role: str | None,
        region: str | None,
        limit: int,
        cursor: str | None,
    ) -> TaskPage:
        """Open tasks ``actor`` may take."""
        from casework.records import queries

        page = await self.db(
            queries.inbox,
            self.engine,
            person=actor.id,
            mine=mine,
            role=role,
            region=region,
            limit=limit,
            cursor=cursor,
        )
        items, next_cursor = cv.page_parts(page)
        return TaskPage(items=cv.to_list(InboxTask, items), next_cursor=next_cursor)

    # ---- definitions -------------------------------------------------------------------------

    async def definitions(self) -> list[DefinitionSummary]:
        """Every process with its versions."""
        plans = await anyio.to_thread.run_sync(self.plans.refresh)
        by_process: dict[str, list[Plan]] = {}
        for key in sorted(plans):
            by_process.setdefault(key[0], []).append(plans[key])
        return [
            DefinitionSummary(
                process=process,
                title=versions[-1].definition.title,
                latest_version=versions[-1].version,
                versions=[p.version for p in versions],
            )
            for process, versions in by_process.items()
        ]

    async def definition(self, process: str, version: int | None) -> DefinitionDetail:
        """A summary of one version (default: latest) of a process."""
        versions = await anyio.to_thread.run_sync(self.plans.versions, process)
        plan = await anyio.to_thread.run_sync(self.plans.resolve, process, version)
        d = plan.definition
        return DefinitionDetail(
            process=plan.process,
            title=d.title,
            owner=d.owner,
            description=d.description,
            version=plan.version,
            hash=plan.hash,
            versions=[
                VersionSummary(version=p.version, hash=p.hash, title=p.definition.title)
                for p in versions
            ],
            roles=list(d.roles),
            case_fields={k: f.type for k, f in d.case.fields.items()},
            outcomes=sorted(d.outcomes),
            events=sorted(d.events),
            steps=[StepSummary(id=s.id, kind=s.kind, name=s.name, next=s.next) for s in d.steps],
            sla_policy=d.sla.policy if d.sla else None,
        )

    async def diagram(self, process: str, version: int | None) -> str:
        """The Mermaid flowchart of a process version."""
        plan = await anyio.to_thread.run_sync(self.plans.resolve, process, version)
        return render_diagram(plan)


def render_diagram(plan: Plan) -> str:
    """Return the Mermaid flowchart text of ``plan``."""
    from casework.language.diagram import to_mermaid

    return to_mermaid(plan)


def _from_live(view: CaseView) -> CaseDetail:
    case = CaseRecord.model_validate(view.model_dump())
    tasks = [TaskPublic.model_validate(t.model_dump()) for t in view.tasks]
    clocks = [ClockPublic.model_validate(c.model_dump()) for c in view.clocks]
    return CaseDetail(case=case, tasks=tasks, clocks=clocks, timeline=[], live=view)
