"""Regenerate the committed replay histories: ``python -m tests.workflows.record_histories``.

Runs each scenario of :mod:`tests.workflows.scenarios` on a time-skipping server
and writes ``histories/<name>.json`` (the workflow history) and
``histories/<name>.plans.json`` (the plans it ran), so replays never depend on
the shipped definition files.
"""

from __future__ import annotations

import asyncio
import json
from pathlib import Path

from temporalio.testing import WorkflowEnvironment

from casework.binaries import temporal_test_server
from tests.fixtures.temporal import register_case_search_attributes
from tests.workflows.helpers import Fakes, pyd_client, running
from tests.workflows.scenarios import SCENARIOS, history_json, plan_json

HERE = Path(__file__).parent / "histories"


async def record() -> None:
    """Run every scenario and write its history and plans."""
    HERE.mkdir(exist_ok=True)
    env = await WorkflowEnvironment.start_time_skipping(
        test_server_existing_path=str(temporal_test_server())
    )
    try:
        await register_case_search_attributes(env)
        client = pyd_client(env.client)
        for name, scenario in SCENARIOS.items():
            fakes = Fakes()
            async with running(client, f"record-{name}", fakes):
                handle, plans = await scenario(client, env, f"record-{name}", fakes)
            text, events = await history_json(handle)
            (HERE / f"{name}.json").write_text(text)
            (HERE / f"{name}.plans.json").write_text(json.dumps(plan_json(plans), indent=1))
            print(f"{name}: {events} events")
    finally:
        await env.shutdown()


if __name__ == "__main__":
    asyncio.run(record())
