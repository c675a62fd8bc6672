"""``CaseWorkflow``: the one generic interpreter that runs any compiled plan.

The contract (Updates, signals, queries, search attributes, events) is in
docs/design.md "The workflow contract". The machinery lives in private
modules: :mod:`workflows._engine` (state, events, projection),
:mod:`workflows._sla` (clocks and ladder), :mod:`workflows._steps` (step
executors), :mod:`workflows._rules` (who may act), :mod:`workflows._data`
(typed values).
"""

from __future__ import annotations

from collections.abc import Sequence

from temporalio import workflow
from temporalio.common import RawValue
from temporalio.exceptions import ApplicationError

with workflow.unsafe.imports_passed_through():
    from casework import search_attributes
    from casework.contracts import (
        CaseAction,
        CaseEvent,
        CaseResult,
        CaseView,
        OutsideEvent,
        StartCase,
        TaskAction,
        TaskView,
        Vote,
    )
    from casework.language.model import ApprovalStep, TaskStep
    from casework.registry import REGISTRY
    from workflows import _rules
    from workflows._config import ENGINE
    from workflows._data import InvalidData, validate_case_data, validate_fields
    from workflows._state import CaseState
    from workflows._steps import StepsMixin

__all__ = ["CaseWorkflow"]


@workflow.defn(name="CaseWorkflow")
class CaseWorkflow(StepsMixin):
    """Interprets a :class:`~casework.language.plan.Plan` for one case."""

    @workflow.init
    def __init__(self, start: StartCase) -> None:
        plan = REGISTRY.get(start.plan)  # a plain error: the task retries on a worker that has it
        self.init_error: ApplicationError | None = None
        self.fresh = start.carried is None
        if start.carried is not None:
            state = CaseState.model_validate(start.carried)
            state.runs += 1
            # the worker keeps the input for the whole run: drop its copy of the state
            start.carried = {}
        else:
            data = dict(start.data)
            start.data = {}  # as above: the state holds the data now
            try:
                data = validate_case_data(plan, data)
            except InvalidData as exc:
                self.init_error = ApplicationError(str(exc), type="InvalidData", non_retryable=True)
            state = CaseState(
                # older inputs repeat the case id; new ones leave it to the workflow id
                case_id=start.case_id or workflow.info().workflow_id,
                plan=start.plan,
                data=data,
                opened_by=start.opened_by,
                opened_at=workflow.now(),
                parent_case_id=start.parent_case_id,
                # what the starter set: only changes are upserted
                search_attributes=search_attributes.known(workflow.info().typed_search_attributes),
            )
        self._setup(plan, state)

    @workflow.run
    async def run(self, start: StartCase) -> CaseResult:
        """Run the case until an ``end`` step, a cancel, or a failure."""
        if self.init_error is not None:
            raise self.init_error
        if self.fresh:
            self.emit(
                "case_opened",
                actor=self.st.opened_by,
                process=self.plan.process,
                version=self.plan.version,
                plan_hash=self.plan.hash,
                data=self.st.data,
                parent_case_id=self.st.parent_case_id,
            )
            self.start_clocks()
            self.new_token(self.plan.definition.start or self.plan.definition.steps[0].id)
        self.wake_projector()  # a continued run may carry events
        self.wake_sla()
        for tok in self.live_tokens():
            if tok.parent is None:
                self.spawn(tok)
        while True:
            await workflow.wait_condition(
                lambda: (
                    self.closing
                    or self.failure is not None
                    or self.end_request is not None
                    or (self._over_budget() and self.quiescent())
                )
            )
            if self.failure is not None:
                await self._fail(self.failure)
            if self.end_request is not None and not self.closing:
                status, outcome, reason, actor = self.end_request
                self.finish(status, outcome, reason, actor=actor, step=None)
            if self.closing:
                break
            await workflow.wait_condition(workflow.all_handlers_finished)
            await self.flush(bounded=True)
            if self.quiescent() and not self.closing and self.failure is None:
                await self._continue_as_new(start)
        await workflow.wait_condition(workflow.all_handlers_finished)
        self.upsert_search_attributes()
        await self.flush()
        if self.sla_task is not None:
            self.sla_task.cancel()
        await self.projector_stopped()
        return self.result()

    def _over_budget(self) -> bool:
        info = workflow.info()
        return info.get_current_history_length() > ENGINE.history_budget or (
            info.is_continue_as_new_suggested()
        )

    async def _continue_as_new(self, start: StartCase) -> None:
        carried = self.st.model_dump(mode="json")
        for tok in carried["tokens"].values():
            tok["waiting"] = False
        workflow.continue_as_new(
            StartCase(
                plan=self.st.plan,
                data={},
                opened_by=self.st.opened_by,
                parent_case_id=self.st.parent_case_id,
                carried=carried,
            )
        )

    async def _fail(self, exc: BaseException) -> None:
        if not isinstance(exc, ApplicationError):
            raise exc  # a bug: fail the workflow task so a fixed worker can retry it
        self.finish("failed", None, exc.message[:200], actor="system", step=None)
        await workflow.wait_condition(workflow.all_handlers_finished)
        await self.flush()
        await self.projector_stopped()
        raise exc

    # --- queries ----------------------------------------------------------------------------

    @workflow.query
    def state(self) -> CaseView:
        """The case's live state."""
        return self.view()

    @workflow.query
    def tasks(self) -> list[TaskView]:
        """Every task of the case, open and done."""
        return list(self.st.tasks.values())

    @workflow.query(name="timeline")
    def timeline_query(self) -> list[CaseEvent]:
        """The events of this run still held."""
        return self.timeline()

    # --- outside events ---------------------------------------------------------------------

    @workflow.signal(dynamic=True)
    def on_event(self, name: str, args: Sequence[RawValue]) -> None:
        """An outside event: checked against the definition's events, else ignored."""
        self.from_outside = True
        spec = self.plan.definition.events.get(name)
        try:
            # decoded by hand: the generic converter builds a type adapter per call, and a
            # case may receive thousands of events in one activation
            event = (
                OutsideEvent.model_validate_json(args[0].payload.data) if args else OutsideEvent()
            )
        except Exception:
            self.emit("signal_received", event=name, ignored="payload is not an OutsideEvent")
            return
        if self.closing or self.st.status not in ("open", "waiting"):
            self.emit(
                "signal_received",
                actor=event.sender,
                event=name,
                ignored=f"the case is {self.st.status}",
            )
            return
        if spec is None:
            known = ", ".join(sorted(self.plan.definition.events)) or "none"
            self.emit(
                "signal_received",
                actor=event.sender,
                event=name,
                ignored=f"unknown event (known: {known})",
            )
            return
        try:
            payload = validate_fields(spec.fields, event.payload, what=f"event {name} field")
        except InvalidData as exc:
            self.emit("signal_received", actor=event.sender, event=name, ignored=str(exc))
            return
        taken = self.deliver_event(name, payload)
        kept = taken == 0 and self.keep_early_event(name, payload)
        self.emit(
            "signal_received",
            actor=event.sender,
            event=name,
            payload=payload,
            delivered=taken,
            kept=kept or None,
        )

    # --- task Updates -----------------------------------------------------------------------

    def _task_and_step(
        self, task_id: str
    ) -> tuple[TaskView | None, TaskStep | ApprovalStep | None]:
        task = self.st.tasks.get(task_id)
        step = self.steps_by_id.get(task.step_id) if task else None
        return task, step if isinstance(step, TaskStep | ApprovalStep) else None

    def _validate(self, update: str, action: TaskAction) -> None:
        if self.closing or self.st.status not in ("open", "waiting"):
            raise _rules.ActionRejected(
                f"the case is {self.st.status}: its tasks are closed", "case_closed"
            )
        task, step = self._task_and_step(action.task_id)
        requester = None
        if task is not None:
            requester = self.st.steps.get(task.step_id, {}).get("requester")
        _rules.check_task_action(
            update,
            task,
            step,
            action,
            task_id=action.task_id,
            requester=requester,
            earlier_approvers=self.earlier_approvers(task.step_id) if task else set(),
        )

    def _task(self, task_id: str) -> TaskView:
        return self.st.tasks[task_id]

    @workflow.update
    def claim(self, action: TaskAction) -> TaskView:
        """Take an open task."""
        t = self._task(action.task_id)
        t.state, t.assignee, t.claimed_at = "claimed", action.actor.id, workflow.now()
        self.emit("task_claimed", actor=action.actor.id, step=t.step_id, task=t.task_id)
        return t

    @claim.validator
    def _v_claim(self, action: TaskAction) -> None:
        self._validate("claim", action)

    @workflow.update
    def release(self, action: TaskAction) -> TaskView:
        """Give a claimed task back to the pool."""
        t = self._task(action.task_id)
        t.state, t.assignee, t.claimed_at = "open", None, None
        self.emit(
            "task_released",
            actor=action.actor.id,
            step=t.step_id,
            task=t.task_id,
            comment=action.comment,
        )
        return t

    @release.validator
    def _v_release(self, action: TaskAction) -> None:
        self._validate("release", action)

    @workflow.update
    def reassign(self, action: TaskAction) -> TaskView:
        """Hand a task to someone else."""
        t = self._task(action.task_id)
        old = t.assignee
        t.state, t.assignee, t.claimed_at = "claimed", action.assignee, workflow.now()
        self.emit(
            "task_reassigned",
            actor=action.actor.id,
            step=t.step_id,
            task=t.task_id,
            old=old,
            new=action.assignee,
            comment=action.comment,
        )
        return t

    @reassign.validator
    def _v_reassign(self, action: TaskAction) -> None:
        self._validate("reassign", action)

    @workflow.update
    def complete(self, action: TaskAction) -> TaskView:
        """Finish a task with an outcome and form data (an unclaimed task is claimed first)."""
        t, step = self._task_and_step(action.task_id)
        assert t is not None
        assert isinstance(step, TaskStep)
        now = workflow.now()
        if t.state == "open":
            t.state, t.assignee, t.claimed_at = "claimed", action.actor.id, now
            self.emit("task_claimed", actor=action.actor.id, step=t.step_id, task=t.task_id)
        form = validate_fields(step.form, action.form, what="form field")
        t.outcome = action.outcome or (t.outcomes[0] if t.outcomes else "done")
        t.reason, t.form = action.reason, form
        t.state, t.completed_at, t.completed_by = "completed", now, action.actor.id
        self.emit(
            "task_completed",
            actor=action.actor.id,
            step=t.step_id,
            task=t.task_id,
            outcome=t.outcome,
            reason=t.reason,
            form=form,
            comment=action.comment,
        )
        return t

    @complete.validator
    def _v_complete(self, action: TaskAction) -> None:
        self._validate("complete", action)

    def _vote(self, update: str, action: TaskAction) -> TaskView:
        t, step = self._task_and_step(action.task_id)
        assert t is not None
        assert isinstance(step, ApprovalStep)
        decision = _rules.vote_of(update)
        t.votes.append(
            Vote(
                actor=action.actor.id,
                decision=decision,
                comment=action.comment,
                at=workflow.now(),
            )
        )
        if action.form:
            t.form = {**t.form, **validate_fields(step.form, action.form, what="form field")}
        t.completed_by = action.actor.id
        vetoed = decision == "rejected" and bool(set(step.veto) & set(action.actor.roles))
        if vetoed:
            self.st.vetoed.append(t.task_id)
        self.emit(
            "approval_vote",
            actor=action.actor.id,
            step=t.step_id,
            task=t.task_id,
            decision=decision,
            comment=action.comment,
            veto=vetoed or None,
        )
        return t

    @workflow.update
    def approve(self, action: TaskAction) -> TaskView:
        """Vote to approve."""
        return self._vote("approve", action)

    @approve.validator
    def _v_approve(self, action: TaskAction) -> None:
        self._validate("approve", action)

    @workflow.update
    def reject(self, action: TaskAction) -> TaskView:
        """Vote to reject (a veto role decides at once)."""
        return self._vote("reject", action)

    @reject.validator
    def _v_reject(self, action: TaskAction) -> None:
        self._validate("reject", action)

    @workflow.update
    def request_changes(self, action: TaskAction) -> TaskView:
        """Ask for changes (decides ``changes_requested`` at once)."""
        return self._vote("request_changes", action)

    @request_changes.validator
    def _v_request_changes(self, action: TaskAction) -> None:
        self._validate("request_changes", action)

    # --- case Updates -----------------------------------------------------------------------

    def _validate_case(self, update: str, action: CaseAction) -> None:
        spec = self.plan.definition.case.fields.get("priority")
        _rules.check_case_action(
            update,
            action,
            opened_by=self.st.opened_by,
            status="closed" if self.closing else self.st.status,
            priority=self.st.data.get("priority"),
            priorities=spec.values if spec else None,
        )
        if update == "set_fields":
            try:
                validate_fields(self.plan.definition.case.fields, action.values, partial=True)
            except InvalidData as exc:
                raise _rules.ActionRejected(str(exc), "bad_form") from None

    @workflow.update
    def cancel(self, action: CaseAction) -> CaseView:
        """Cancel the case (opener or a coordinator, team-lead, regional-manager, process-owner)."""
        self.emit("case_cancelled", actor=action.actor.id, reason=action.reason)
        self.finish("cancelled", "cancelled", action.reason, actor=action.actor.id, step=None)
        return self.view()

    @cancel.validator
    def _v_cancel(self, action: CaseAction) -> None:
        self._validate_case("cancel", action)

    @workflow.update
    def change_priority(self, action: CaseAction) -> CaseView:
        """Change the priority; the SLA deadlines are recomputed."""
        assert action.priority is not None
        self.apply_priority(action.priority, actor=action.actor.id, reason=action.reason)
        return self.view()

    @change_priority.validator
    def _v_change_priority(self, action: CaseAction) -> None:
        self._validate_case("change_priority", action)

    @workflow.update(name="set_fields")
    def set_fields_update(self, action: CaseAction) -> CaseView:
        """Set case fields (typed against the case schema)."""
        values = validate_fields(self.plan.definition.case.fields, action.values, partial=True)
        if "priority" in values and values["priority"] != self.st.data.get("priority"):
            self.apply_priority(values.pop("priority"), actor=action.actor.id, reason=action.reason)
        self.set_fields(values, actor=action.actor.id, step=None)
        return self.view()

    @set_fields_update.validator
    def _v_set_fields(self, action: CaseAction) -> None:
        self._validate_case("set_fields", action)
