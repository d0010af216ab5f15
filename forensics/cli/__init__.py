"""The `forensics` command: a thin Click layer over the library API.

Each pipeline stage has its command module beside it (`cli/ingest.py` calls
`forensics.ingest`, ...).  A command parses options, calls one library
function and prints; no logic lives only here.  Library errors
(`ForensicsError`) become one sentence on stderr and a non-zero exit code;
usage errors exit with 2 (Click's convention).
"""

from __future__ import annotations

import os
import sys

import click

from forensics import __version__
from forensics.cli.output import terminal_safe
from forensics.errors import ForensicsError


class ForensicsGroup(click.Group):
    """Turns library errors into messages, never tracebacks."""

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ForensicsError as exc:
            # Messages may quote log content (a file's first line): hostile.
            err = click.ClickException(terminal_safe(str(exc)))
            err.exit_code = exc.exit_code
            raise err from None
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except KeyboardInterrupt:
            raise click.ClickException("interrupted; the case file is unchanged by the unfinished step") from None
        except Exception as exc:  # a bug: say so plainly, keep the traceback for debugging on request
            if os.environ.get("FORENSICS_DEBUG"):
                raise
            raise click.ClickException(
                f"internal error ({type(exc).__name__}: {exc}). "
                "This is a bug in forensics; set FORENSICS_DEBUG=1 to see the traceback."
            ) from None


@click.group(cls=ForensicsGroup, context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(__version__, "--version", prog_name="forensics")
def main():
    """Evidence for hosting-provider disputes.

    One case = one DuckDB file.  The pipeline: ingest log files into the
    case, enrich browsers and addresses, investigate an account's disputed
    actions, render the PDF evidence report.

    Start with `forensics demo` to see a finished report from bundled data.
    """


def _register() -> None:
    # Imported here so that each stage keeps its command beside its name;
    # the modules import their heavy dependencies inside the commands.
    from importlib import import_module

    for module in ("ingest", "formats", "enrich", "investigate", "report", "demo"):
        try:
            mod = import_module(f"forensics.cli.{module}")
        except ModuleNotFoundError as exc:
            if exc.name == f"forensics.cli.{module}":
                continue  # stage not built yet
            raise
        for command in getattr(mod, "COMMANDS", []):
            main.add_command(command)


_register()


if __name__ == "__main__":  # pragma: no cover
    sys.exit(main())
