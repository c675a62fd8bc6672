"""``python bench/_floor_worker.py``: a worker as ``python -m workers`` builds it, with the
hand-written waiting case registered too (the memory floor of ``bench/engine.py``)."""

from __future__ import annotations

import asyncio
import signal
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))
sys.path.insert(0, str(Path(__file__).resolve().parent.parent))

from _handwritten import HandWrittenWaitingCase

from casework.client import connect
from casework.language.compiler import load_plans
from casework.settings import get_settings
from workers.worker import build_worker, case_workflow, freeze_startup_heap


async def main() -> None:
    """Poll the settings' task queue until SIGTERM."""
    settings = get_settings()
    plans = load_plans(settings.definitions_dir, settings.policies_dir)
    client = await connect(settings)
    workflows = [case_workflow(), HandWrittenWaitingCase]
    stop = asyncio.Event()
    asyncio.get_running_loop().add_signal_handler(signal.SIGTERM, stop.set)
    async with build_worker(client, settings, plans, workflows=workflows, sandboxed=False):
        freeze_startup_heap()
        await stop.wait()


if __name__ == "__main__":
    asyncio.run(main())
