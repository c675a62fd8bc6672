"""The casework worker: the case interpreter workflow plus every activity.

``build_worker`` fills :data:`casework.registry.REGISTRY` from the shipped
definitions and every version deployed in the records, deploys the shipped
versions that the records do not know yet, and returns a configured
:class:`temporalio.worker.Worker`. ``run_worker`` runs one until SIGINT or
SIGTERM, then shuts it down gracefully. Any number of workers may poll one
task queue.
"""

from __future__ import annotations

import asyncio
import contextlib
import datetime as dt
import gc
import logging
import signal
from collections.abc import Callable, Sequence
from concurrent.futures import ThreadPoolExecutor
from typing import Any

from sqlalchemy import Engine, select
from sqlalchemy.exc import SQLAlchemyError
from temporalio.client import Client
from temporalio.worker import UnsandboxedWorkflowRunner, Worker
from temporalio.worker.workflow_sandbox import SandboxedWorkflowRunner, SandboxRestrictions

from casework.errors import ConfigError
from casework.language.plan import Plan
from casework.registry import REGISTRY
from casework.settings import Settings, get_settings
from workers._runner import DetachingRunner

log = logging.getLogger("casework.worker")

#: Modules the workflow sandbox shares with the worker instead of re-importing per case.
PASSTHROUGH_MODULES: tuple[str, ...] = (
    # The interpreter itself: its modules are pure (no I/O, time only from the workflow
    # API), and passing them through spares every case a fresh import of them, which
    # was about half of a worker's CPU per short case and of its memory per cached case.
    "workflows",
    "casework",
    "pydantic",
    "pydantic_core",
    "celpy",
    "lark",
    "yaml",
)
#: Defaults sized for a 2-core machine: activities are short database writes.
MAX_CONCURRENT_ACTIVITIES = 32
MAX_CONCURRENT_WORKFLOW_TASKS = 64
GRACEFUL_SHUTDOWN = dt.timedelta(seconds=10)


def case_workflow() -> type:
    """Return the interpreter workflow class (``workflows.case.CaseWorkflow``).

    Raises:
        ConfigError: When the engine module is missing from this installation.
    """
    try:
        from workflows.case import CaseWorkflow
    except ImportError as exc:
        raise ConfigError(
            f"the case workflow cannot be imported: {exc}",
            hint="reinstall casework (pip install -e .)",
        ) from exc
    workflow_class: type = CaseWorkflow
    return workflow_class


def deployed_plans(engine: Engine) -> list[Plan]:
    """Return every plan stored in ``definition_versions`` that still loads."""
    from casework.records.tables import definition_versions

    plans: list[Plan] = []
    with engine.connect() as conn:
        for process, version, content in conn.execute(
            select(
                definition_versions.c.process,
                definition_versions.c.version,
                definition_versions.c.plan,
            )
        ):
            try:
                plans.append(Plan.model_validate(content))
            except ValueError as exc:
                log.warning("skipping deployed plan %s@%s: %s", process, version, exc)
    return plans


def deploy_plans(engine: Engine, plans: Sequence[Plan], *, deployed_by: str = "worker") -> int:
    """Insert the plans the records do not have yet; return how many were new."""
    from activities._db import insert_ignore
    from casework.records.tables import definition_versions

    new = 0
    now = dt.datetime.now(dt.UTC)
    with engine.begin() as conn:
        for plan in plans:
            known = conn.execute(
                select(definition_versions.c.hash).where(
                    definition_versions.c.process == plan.process,
                    definition_versions.c.version == plan.version,
                )
            ).scalar_one_or_none()
            if known is not None:
                if known != plan.hash:
                    log.warning(
                        "%s@%s changed since it was deployed: bump 'version' so old cases "
                        "keep their plan",
                        plan.process,
                        plan.version,
                    )
                continue
            new += insert_ignore(
                conn,
                definition_versions,
                {
                    "process": plan.process,
                    "version": plan.version,
                    "hash": plan.hash,
                    "title": plan.definition.title,
                    "plan": plan.model_dump(mode="json"),
                    "deployed_at": now,
                    "deployed_by": deployed_by,
                },
            )
    return new


def fill_registry(plans: Sequence[Plan], engine: Engine | None, *, deploy: bool = True) -> None:
    """Register ``plans`` and every deployed version (deploying the new ones first).

    Args:
        plans: The shipped plans.
        engine: The records engine holding the deployed versions (None: shipped only).
        deploy: Record new shipped versions as deployed (a worker does; a rebuild,
            which only needs to resolve the plans cases ran, does not).
    """
    if engine is not None:
        try:
            if deploy:
                deploy_plans(engine, plans)
            for plan in deployed_plans(engine):
                with contextlib.suppress(ValueError):
                    REGISTRY.put(plan)
        except SQLAlchemyError as exc:
            log.warning("records unavailable, running shipped definitions only: %s", exc)
    for plan in plans:
        REGISTRY.put(plan)  # shipped plans last: they win for new cases of their version


def sandbox_runner() -> SandboxedWorkflowRunner:
    """The workflow sandbox, with casework's pure modules passed through."""
    return SandboxedWorkflowRunner(
        restrictions=SandboxRestrictions.default.with_passthrough_modules(*PASSTHROUGH_MODULES)
    )


def workflow_runner(sandboxed: bool) -> DetachingRunner:
    """The sandbox with casework's modules passed through, or no sandbox at all; either
    way a cached case keeps no piece of its first activation (:mod:`workers._runner`)."""
    return DetachingRunner(sandbox_runner() if sandboxed else UnsandboxedWorkflowRunner())


def build_worker(
    client: Client,
    settings: Settings | None = None,
    plans: Sequence[Plan] = (),
    *,
    engine: Engine | None = None,
    task_queue: str | None = None,
    workflows: Sequence[type] | None = None,
    activities: Sequence[Callable[..., Any]] | None = None,
    max_concurrent_activities: int = MAX_CONCURRENT_ACTIVITIES,
    max_concurrent_workflow_tasks: int = MAX_CONCURRENT_WORKFLOW_TASKS,
    deploy: bool = True,
    sandboxed: bool | None = None,
    **worker_options: Any,
) -> Worker:
    """Build a worker running the case workflow and all activities.

    Args:
        client: A connected client (casework.converter.DATA_CONVERTER).
        settings: Settings (task queue, records URL); default :func:`get_settings`.
        plans: Shipped plans (from ``load_plans``) to register and deploy.
        engine: Records engine; default the one from settings.
        task_queue: Override ``settings.task_queue``.
        workflows: Workflow classes; default ``[CaseWorkflow]``.
        activities: Activities; default ``activities.all_activities()``.
        max_concurrent_activities: Activity slots (and threads for the sync activities).
        max_concurrent_workflow_tasks: Workflow task slots.
        deploy: Register and deploy ``plans`` (False: leave the registry alone).
        sandboxed: Run workflows in the determinism sandbox; default
            ``settings.worker_sandbox`` (see docs/operations.md for what it costs).
        **worker_options: Passed to :class:`temporalio.worker.Worker`.
    """
    import activities as activity_pkg

    settings = settings or get_settings()
    if deploy:
        if engine is None:
            from casework.records.db import engine_from_settings

            engine = engine_from_settings()
        fill_registry(plans, engine)
    if engine is not None:
        from activities._db import set_engine

        set_engine(engine)
    worker_options.setdefault(
        "workflow_runner",
        workflow_runner(settings.worker_sandbox if sandboxed is None else sandboxed),
    )
    worker_options.setdefault("graceful_shutdown_timeout", GRACEFUL_SHUTDOWN)
    worker_options.setdefault("max_cached_workflows", settings.worker_cached_cases)
    return Worker(
        client,
        task_queue=task_queue or settings.task_queue,
        workflows=list(workflows) if workflows is not None else [case_workflow()],
        activities=list(activities) if activities is not None else activity_pkg.all_activities(),
        activity_executor=ThreadPoolExecutor(
            max_workers=max_concurrent_activities, thread_name_prefix="casework-activity"
        ),
        max_concurrent_activities=max_concurrent_activities,
        max_concurrent_workflow_tasks=max_concurrent_workflow_tasks,
        **worker_options,
    )


def freeze_startup_heap() -> None:
    """Move everything alive after start-up out of the garbage collector's sight.

    Plans, compiled schemas, SQLAlchemy metadata and the imported modules are about
    150,000 objects that live as long as the process; each full collection walked
    them all, a 70-110 ms pause for every case in flight (measured in a worker
    process). Frozen, they are never scanned again; later objects are collected as
    usual.
    """
    gc.collect()
    gc.freeze()


async def run_worker(
    settings: Settings | None = None,
    *,
    stop: asyncio.Event | None = None,
    on_ready: Callable[[Worker], None] | None = None,
    sandboxed: bool | None = None,
) -> None:
    """Run one worker until SIGINT/SIGTERM (or ``stop`` is set), then shut it down.

    Raises:
        EngineUnavailableError: When Temporal cannot be reached.
        DefinitionError: When the shipped definitions do not compile.
        RecordsError: When the records database is not migrated.
    """
    from casework.client import connect
    from casework.language.compiler import load_plans
    from casework.records.db import engine_from_settings, ensure_current

    settings = settings or get_settings()
    plans = load_plans(settings.definitions_dir, settings.policies_dir)
    engine = engine_from_settings()
    # Cases never wait for the records: a worker replacing a crashed one must be able to
    # start during a records outage; projection catches up when the database is back.
    if not ensure_current(engine, unreachable_ok=True):
        log.warning("records database %s unreachable, starting anyway", engine.url)
    client = await connect(settings)
    worker = build_worker(client, settings, plans, engine=engine, sandboxed=sandboxed)
    stop = stop or asyncio.Event()
    loop = asyncio.get_running_loop()
    installed: list[signal.Signals] = []
    for sig in (signal.SIGINT, signal.SIGTERM):
        with contextlib.suppress(NotImplementedError, RuntimeError, ValueError):
            loop.add_signal_handler(sig, stop.set)
            installed.append(sig)
    try:
        async with worker:
            freeze_startup_heap()
            log.info("worker polling %s with %d plans", settings.task_queue, len(REGISTRY.plans()))
            if on_ready is not None:
                on_ready(worker)
            await stop.wait()
            log.info("shutting down (finishing running activities, %s max)", GRACEFUL_SHUTDOWN)
    finally:
        for sig in installed:
            loop.remove_signal_handler(sig)
