"""``python -m workers [--sandbox|--no-sandbox]``: run one casework worker until SIGINT/SIGTERM."""

from __future__ import annotations

import asyncio
import logging
import sys

from casework.errors import CaseworkError
from workers.worker import run_worker


def main() -> int:
    """Run the worker; print casework errors as one line."""
    logging.basicConfig(level=logging.INFO, format="%(asctime)s %(name)s %(levelname)s %(message)s")
    try:
        args = sys.argv[1:]
        sandboxed = True if "--sandbox" in args else False if "--no-sandbox" in args else None
        asyncio.run(run_worker(sandboxed=sandboxed))
    except CaseworkError as exc:
        print(f"error: {exc}", file=sys.stderr)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    return 0


if __name__ == "__main__":
    sys.exit(main())
