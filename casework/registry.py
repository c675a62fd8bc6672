"""The registry of compiled plans a worker can run.

Workers fill it at start-up (shipped definitions plus every version deployed
in the records); the workflow resolves its :class:`PlanRef` here. A hash is
bound to one plan for the life of the process: putting a different plan under
a known hash is refused.
"""

from __future__ import annotations

import threading

from casework.errors import NotFoundError
from casework.language.plan import REF_HASH_CHARS, Plan, PlanRef


class PlanRegistry:
    """Thread-safe map of plan hashes to plans, with per-process version indexes.

    Plans are found by the hash prefix a :class:`PlanRef` carries
    (:data:`~casework.language.plan.REF_HASH_CHARS` hex digits), or by the full
    hash that references of older cases carry.
    """

    def __init__(self) -> None:
        self._lock = threading.Lock()
        self._by_hash: dict[str, Plan] = {}
        self._by_version: dict[tuple[str, int], Plan] = {}

    def put(self, plan: Plan) -> None:
        """Add a plan. Re-adding the same plan is a no-op."""
        with self._lock:
            key = plan.hash[:REF_HASH_CHARS]
            known = self._by_hash.get(key)
            if known is not None and known != plan:
                raise ValueError(f"hash {key} already names a different plan")
            self._by_hash[key] = plan
            current = self._by_version.get((plan.process, plan.version))
            # the newest registration of a version wins for *new* cases; old hashes stay resolvable
            if current is None or current.hash != plan.hash:
                self._by_version[(plan.process, plan.version)] = plan

    def get(self, ref: PlanRef) -> Plan:
        """Return the plan of ``ref``.

        Raises:
            NotFoundError: When no plan with that hash is registered.
        """
        plan = self._by_hash.get(ref.hash[:REF_HASH_CHARS])
        if plan is None or not plan.hash.startswith(ref.hash):
            raise NotFoundError(
                "plan", str(ref), hint="deploy the definition version on this worker"
            )
        return plan

    def resolve(self, process: str, version: int | None = None) -> Plan:
        """Return the plan for ``process`` at ``version`` (default: the highest version)."""
        with self._lock:
            versions = sorted(v for (p, v) in self._by_version if p == process)
            if not versions:
                raise NotFoundError(
                    "process", process, hint="run 'casework validate' and check definitions/"
                )
            chosen = version if version is not None else versions[-1]
            plan = self._by_version.get((process, chosen))
        if plan is None:
            raise NotFoundError("process version", f"{process}@{chosen}")
        return plan

    def plans(self) -> list[Plan]:
        """Every plan currently resolvable by (process, version), sorted."""
        with self._lock:
            return [self._by_version[k] for k in sorted(self._by_version)]

    def clear(self) -> None:
        """Forget everything (tests)."""
        with self._lock:
            self._by_hash.clear()
            self._by_version.clear()


#: The registry the worker fills and the workflow reads.
REGISTRY = PlanRegistry()
