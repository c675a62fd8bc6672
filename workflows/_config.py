"""Engine switches shared by the worker process and the (sandboxed) workflow code.

The workflow imports this module through ``imports_passed_through`` so the worker
and the tests can change the switches at run time for every case they run.
"""

from __future__ import annotations

from dataclasses import dataclass


@dataclass
class EngineConfig:
    """Run-time switches of the case interpreter.

    Attributes:
        search_attributes: Upsert the ``Case*`` search attributes (off when the
            server has not registered them).
        history_budget: Continue as new once the history is longer than this.
        projection_batch: Most events sent to ``records.project`` in one batch.
        timeline_tail: Projected events still kept for the ``timeline`` query (the
            records hold them all; each is held as JSON text, a few hundred bytes).
    """

    search_attributes: bool = True
    history_budget: int = 10_000
    projection_batch: int = 500
    timeline_tail: int = 20


#: The switches every case workflow in this process reads.
ENGINE = EngineConfig()
