"""Who may act on a task, and how approvals are decided (pure functions)."""

from __future__ import annotations

from collections.abc import Mapping
from typing import Literal

from temporalio.exceptions import ApplicationError

from casework.contracts import Actor, CaseAction, TaskAction, TaskView
from casework.language.model import ApprovalStep, FieldSpec, TaskStep
from casework.language.policies import PRIORITIES
from workflows._data import InvalidData, validate_fields

SUPERVISORS = frozenset({"team-lead", "coordinator", "regional-manager"})
CANCELLERS = frozenset({"coordinator", "team-lead", "regional-manager", "process-owner"})
OPEN_STATES = frozenset({"open", "claimed"})
_VOTES: dict[str, Literal["approved", "rejected", "changes_requested"]] = {
    "approve": "approved",
    "reject": "rejected",
    "request_changes": "changes_requested",
}


class ActionRejected(ApplicationError):  # noqa: N818 - the Update is rejected, not an error state
    """An Update validator refused the action; the message says why and what to do.

    ``code`` travels as the failure's first detail (``{"code": ...}``), so callers
    sort rejections without reading the wording: ``not_found``, ``not_eligible``,
    ``not_assignee``, ``four_eyes``, ``forbidden`` (the person may not),
    ``task_closed``, ``case_closed``, ``already_claimed``, ``conflict`` (the state
    does not allow it), ``bad_form``, ``bad_outcome``, ``reason_required``,
    ``invalid`` (the request is wrong).
    """

    def __init__(self, message: str, code: str = "invalid") -> None:
        super().__init__(message, {"code": code}, type="ActionRejected", non_retryable=True)
        self.code = code


def vote_of(update: str) -> Literal["approved", "rejected", "changes_requested"]:
    """The vote an approval Update casts."""
    return _VOTES[update]


def eligibility_problem(task: TaskView, actor: Actor) -> str | None:
    """Why ``actor`` may not take ``task``, or None when eligible."""
    if task.kind == "approval" and task.eligible:
        if actor.id not in task.eligible:
            return f"{actor.id} is not among the approvers of task {task.task_id}"
        return None
    if task.person is not None:
        if actor.id != task.person:
            return f"task {task.task_id} is for {task.person}, not {actor.id}"
        return None
    if task.role is not None and task.role not in actor.roles:
        return f"{actor.id} does not have the role {task.role!r} that task {task.task_id} needs"
    if task.team is not None and actor.team != task.team:
        return f"task {task.task_id} is for team {task.team!r}; {actor.id} is in {actor.team!r}"
    if task.region is not None and actor.region != task.region:
        return (
            f"task {task.task_id} is for region {task.region!r}; {actor.id} is in {actor.region!r}"
        )
    missing = sorted(set(task.skills) - set(actor.skills))
    if missing:
        return f"{actor.id} lacks the skills {', '.join(missing)} that task {task.task_id} needs"
    return None


def _reject(message: str, code: str = "invalid") -> None:
    raise ActionRejected(message, code)


def check_task_action(
    update: str,
    task: TaskView | None,
    step: TaskStep | ApprovalStep | None,
    action: TaskAction,
    *,
    task_id: str,
    requester: str | None,
    earlier_approvers: set[str],
) -> None:
    """Validate a task Update; raise :class:`ActionRejected` with a clear reason."""
    actor = action.actor
    if task is None or step is None:
        return _reject(f"task {task_id} not found in this case: check the task id", "not_found")
    if task.state not in OPEN_STATES:
        return _reject(
            f"task {task_id} is {task.state}: it can no longer be acted on", "task_closed"
        )
    if update in _VOTES:
        return _check_vote(update, task, step, action, requester, earlier_approvers)
    if task.kind != "task" or not isinstance(step, TaskStep):
        return _reject(
            f"task {task_id} is an approval: use approve, reject or request_changes", "invalid"
        )
    if update == "claim":
        if task.state == "claimed":
            return _reject(
                f"task {task_id} is already claimed by {task.assignee}", "already_claimed"
            )
        problem = eligibility_problem(task, actor)
        return _reject(problem, "not_eligible") if problem else None
    if update == "release":
        if task.state != "claimed" or task.assignee is None:
            return _reject(
                f"task {task_id} is not claimed: there is nothing to release", "conflict"
            )
        if actor.id != task.assignee:
            return _reject(
                f"only the assignee {task.assignee} can release task {task_id}", "not_assignee"
            )
        return None
    if update == "reassign":
        if not action.assignee:
            return _reject("reassign needs the new assignee (assignee: person id)")
        if action.assignee == task.assignee:
            return _reject(f"task {task_id} is already assigned to {action.assignee}", "conflict")
        if actor.id != task.assignee and not SUPERVISORS & set(actor.roles):
            return _reject(
                f"{actor.id} may not reassign task {task_id}: only its assignee, a team-lead, "
                "a coordinator or a regional-manager can",
                "forbidden",
            )
        return None
    if update == "complete":
        return _check_complete(task, step, action)
    return _reject(f"unknown task action {update!r}")


def _check_complete(task: TaskView, step: TaskStep, action: TaskAction) -> None:
    actor = action.actor
    if task.state == "claimed" and task.assignee is not None and actor.id != task.assignee:
        return _reject(
            f"task {task.task_id} is claimed by {task.assignee}, not {actor.id}", "conflict"
        )
    if task.state == "open":
        problem = eligibility_problem(task, actor)
        if problem:
            return _reject(problem, "not_eligible")
    routes = {r.outcome: r for r in step.outcomes}
    outcome = action.outcome
    if outcome is None:
        if len(routes) > 1:
            return _reject(
                f"choose an outcome for task {task.task_id}: {', '.join(routes)}", "bad_outcome"
            )
        outcome = next(iter(routes), "done")
    route = routes.get(outcome)
    if routes and route is None:
        return _reject(
            f"outcome {outcome!r} is not allowed for task {task.task_id}: use {', '.join(routes)}",
            "bad_outcome",
        )
    if route is not None:
        if route.reason_required and not action.reason:
            reasons = ", ".join(route.reasons) or "any reason"
            return _reject(f"outcome {outcome!r} needs a reason: {reasons}", "reason_required")
        if action.reason and route.reasons and action.reason not in route.reasons:
            return _reject(
                f"reason {action.reason!r} is not allowed for outcome {outcome!r}: "
                f"use {', '.join(route.reasons)}",
                "bad_outcome",
            )
    _check_form(step.form, action)
    return None


def _check_form(form: Mapping[str, FieldSpec], action: TaskAction) -> None:
    try:
        validate_fields(form, action.form, what="form field")
    except InvalidData as exc:
        raise ActionRejected(str(exc), "bad_form") from None


def _check_vote(
    update: str,
    task: TaskView,
    step: TaskStep | ApprovalStep,
    action: TaskAction,
    requester: str | None,
    earlier: set[str],
) -> None:
    actor = action.actor
    if task.kind != "approval" or not isinstance(step, ApprovalStep):
        return _reject(f"task {task.task_id} is not an approval: use complete", "invalid")
    if update == "request_changes" and "changes_requested" not in step.on:
        return _reject(
            f"approval {task.task_id} does not accept change requests: approve or reject",
            "invalid",
        )
    if any(v.actor == actor.id for v in task.votes):
        return _reject(f"{actor.id} has already voted on {task.task_id}", "conflict")
    if step.four_eyes:
        if requester is not None and actor.id == requester:
            return _reject(
                f"four-eyes: {actor.id} asked for this and cannot approve it", "four_eyes"
            )
        if actor.id in earlier:
            return _reject(
                f"four-eyes: {actor.id} already approved an earlier step of this case", "four_eyes"
            )
    problem = eligibility_problem(task, actor)
    if problem and not (update == "reject" and set(step.veto) & set(actor.roles)):
        return _reject(problem, "not_eligible")
    _check_form(step.form, action)
    return None


def decide(step: ApprovalStep, task: TaskView, vetoed: bool) -> str | None:
    """The approval's decision from its votes so far, or None while undecided."""
    if vetoed:
        return "rejected"
    votes = [v.decision for v in task.votes]
    if "changes_requested" in votes:
        return "changes_requested"
    yes, no = votes.count("approved"), votes.count("rejected")
    pool = len(task.eligible) if task.eligible else None
    if step.decide == "quorum":
        need = step.quorum or 1
        if yes >= need:
            return "approved"
        return "rejected" if pool is not None and pool - no < need else None
    if step.decide == "any":
        if yes >= 1:
            return "approved"
        return "rejected" if pool is not None and no >= pool else None
    if no >= 1:
        return "rejected"
    if pool is None:
        return "approved" if yes >= 1 else None
    return "approved" if yes >= pool else None


def check_case_action(
    update: str,
    action: CaseAction,
    *,
    opened_by: str,
    status: str,
    priority: str | None,
    priorities: list[str] | None,
) -> None:
    """Validate a case Update (cancel, change_priority, set_fields: fields are checked apart)."""
    if status not in ("open", "waiting"):
        return _reject(f"the case is {status}: it can no longer be changed", "case_closed")
    if update == "cancel":
        if not action.reason:
            return _reject("cancel needs a reason (reason: why the case is cancelled)")
        if action.actor.id != opened_by and not CANCELLERS & set(action.actor.roles):
            return _reject(
                f"{action.actor.id} may not cancel this case: only its opener, a coordinator, "
                "team-lead, regional-manager or process-owner can",
                "forbidden",
            )
    if update == "change_priority":
        allowed = priorities or list(PRIORITIES)
        if action.priority not in allowed:
            return _reject(f"priority {action.priority!r} is not one of {', '.join(allowed)}")
        if action.priority == priority:
            return _reject(f"the case already has priority {priority}", "conflict")
    if update == "set_fields" and not action.values:
        return _reject("set_fields needs values (values: {field: value})")
    return None
