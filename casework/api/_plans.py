"""Where the API finds process plans: shipped files, the worker registry, the records."""

from __future__ import annotations

import threading
import time

from sqlalchemy import Engine
from sqlalchemy.exc import SQLAlchemyError

from casework.errors import CaseworkError, NotFoundError
from casework.language.plan import Plan
from casework.registry import REGISTRY
from casework.settings import Settings

_TTL = 10.0


class NotDeployedError(CaseworkError):
    """A process version exists as a file but no worker has deployed it (HTTP 409)."""


class PlanCatalog:
    """Every plan a case can be opened with, keyed by (process, version).

    Shipped definitions are compiled once; the plans in the process's registry
    and the versions deployed in the records are re-read every few seconds.
    Deployed versions win: a version number never changes meaning once deployed.
    """

    def __init__(self, settings: Settings, engine: Engine) -> None:
        self._settings = settings
        self._engine = engine
        self._lock = threading.Lock()
        self._shipped: list[Plan] | None = None
        self._plans: dict[tuple[str, int], Plan] = {}
        self._deployed_hashes: frozenset[str] = frozenset()
        self._loaded_at = 0.0

    def _load_shipped(self) -> list[Plan]:
        if self._shipped is None:
            try:
                from casework.language.compiler import load_plans

                self._shipped = load_plans(
                    self._settings.definitions_dir, self._settings.policies_dir
                )
            except (CaseworkError, ImportError, OSError):
                # broken files are reported by 'casework validate'; deployed plans still serve
                self._shipped = []
        return self._shipped

    @staticmethod
    def _deployed(engine: Engine) -> list[Plan]:
        try:
            from casework.records.directory import deployed_plans
        except ImportError:
            return []
        try:
            return list(deployed_plans(engine))
        except (SQLAlchemyError, CaseworkError):
            return []

    def refresh(self, *, force: bool = False) -> dict[tuple[str, int], Plan]:
        """Return the current plans, re-reading the registry and records when stale."""
        with self._lock:
            if force or not self._plans or time.monotonic() - self._loaded_at > _TTL:
                plans: dict[tuple[str, int], Plan] = {}
                deployed = [*REGISTRY.plans(), *self._deployed(self._engine)]
                for plan in [*self._load_shipped(), *deployed]:
                    plans[(plan.process, plan.version)] = plan
                self._plans = plans
                self._deployed_hashes = frozenset(p.hash for p in deployed)
                self._loaded_at = time.monotonic()
            return dict(self._plans)

    def versions(self, process: str) -> list[Plan]:
        """Every version of ``process``, oldest first.

        Raises:
            NotFoundError: When the process is unknown.
        """
        found = self._versions(process, self.refresh())
        if not found:
            found = self._versions(process, self.refresh(force=True))
        if not found:
            raise NotFoundError("process", process, hint="GET /definitions lists the processes")
        return found

    @staticmethod
    def _versions(process: str, plans: dict[tuple[str, int], Plan]) -> list[Plan]:
        return [plans[k] for k in sorted(plans) if k[0] == process]

    def resolve(self, process: str, version: int | None = None) -> Plan:
        """Return the plan of ``process`` at ``version`` (default: the latest).

        Raises:
            NotFoundError: When the process or the version is unknown.
        """
        versions = self.versions(process)
        if version is None:
            return versions[-1]
        for plan in versions:
            if plan.version == version:
                return plan
        known = ", ".join(str(p.version) for p in versions)
        raise NotFoundError(
            "process version", f"{process}@{version}", hint=f"known versions: {known}"
        )

    def for_opening(self, process: str, version: int | None = None) -> Plan:
        """Return the plan a new case of ``process`` runs: one the workers know.

        Once the records hold deployed versions, only those (and this process's
        registry) are used: a shipped file that no worker has deployed yet would
        start a case nobody can run.

        Raises:
            NotFoundError: When the process or version is unknown.
            NotDeployedError: When the version exists only as an undeployed file.
        """
        plan = self.resolve(process, version)
        with self._lock:
            known = self._deployed_hashes
        if known and plan.hash not in known:
            raise NotDeployedError(
                f"{process}@{plan.version} is not deployed: no worker can run it yet",
                hint="restart the worker ('casework worker' or 'casework up'): it deploys "
                "the shipped definitions",
            )
        return plan
