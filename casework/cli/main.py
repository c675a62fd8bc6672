"""The ``casework`` command. Each area registers its commands from its own module."""

from __future__ import annotations

import sys

import typer

from casework.cli import _common
from casework.errors import CaseworkError, DefinitionError

app = typer.Typer(
    name="casework",
    help="Customer-service processes as YAML, run durably on Temporal.",
    no_args_is_help=True,
    pretty_exceptions_enable=False,
    add_completion=False,
)


@app.callback()
def _root() -> None:
    """Customer-service processes as YAML, run durably on Temporal."""


@app.command()
def version() -> None:
    """Print the casework version."""
    from importlib.metadata import version as dist_version

    print(dist_version("casework"))


_registered = False


def _register() -> None:
    # Once per process: main() runs many times in tests and must not add commands twice.
    global _registered
    if _registered:
        return
    _registered = True
    from casework.cli import api, cases, language, records, reports, stack

    for module in (language, cases, records, reports, stack, api):
        module.register(app)


def main(argv: list[str] | None = None) -> int:
    """Run the CLI; every :class:`CaseworkError` becomes one plain line and its exit code."""
    _register()
    try:
        # with standalone_mode=False click returns typer.Exit's code instead of raising it
        result = app(args=argv, standalone_mode=False)
        if isinstance(result, int) and result:
            return result
    except DefinitionError as exc:
        _common.err_console.print(exc.render(), markup=False, highlight=False)
        return exc.exit_code
    except CaseworkError as exc:
        _common.err_console.print(f"error: {exc}", markup=False, highlight=False, soft_wrap=True)
        return exc.exit_code
    except KeyboardInterrupt:
        return 130
    except typer.Exit as exc:
        return int(exc.exit_code)
    except typer.Abort:
        return 1
    except typer.TyperException as exc:  # usage errors: bad option, missing argument
        show = getattr(exc, "show", None)
        if callable(show):
            show()
        else:
            _common.err_console.print(f"error: {exc}", markup=False)
        return int(getattr(exc, "exit_code", 2))
    return 0


if __name__ == "__main__":
    sys.exit(main())


def run() -> None:
    """Console-script entry point."""
    sys.exit(main())
