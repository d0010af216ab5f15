"""The `forensics` command: a thin Click layer over the library API.

Each pipeline stage has its command module beside it (`cli/ingest.py` calls
`forensics.ingest`, ...).  A command parses options, calls one library
function and prints; no logic lives only here.  Library errors
(`ForensicsError`), a full disk, Ctrl-C and a closed output pipe become one
sentence on stderr and a non-zero exit code (`ForensicsGroup`); usage
errors exit with 2 (Click's convention).
"""

from __future__ import annotations

import atexit
import errno
import gc
import os
import sys

import click

from forensics import __version__
from forensics.cli.output import terminal_safe
from forensics.errors import ForensicsError


NO_SPACE = ("no space left on the device{where}: free some space and run the command again; "
            "what earlier steps committed to the case file is kept, the interrupted step wrote nothing to it")
INTERRUPTED = ("interrupted (Ctrl-C): what earlier steps committed to the case file is kept, "
               "the interrupted step wrote nothing to it")
BROKEN_PIPE = "stopped: the program reading the output closed it (as `| head` does)"
OUT_OF_MEMORY = "out of memory{where}: the input needs more memory than this machine has free"


def _no_space(exc: BaseException) -> bool:
    """Disk full, as Python (OSError ENOSPC) or DuckDB (IOException) reports it."""
    if isinstance(exc, OSError) and exc.errno == errno.ENOSPC:
        return True
    return type(exc).__name__ == "IOException" and "No space left on device" in str(exc)


def _duckdb_allocation(exc: BaseException) -> bool:
    """DuckDB's failure to allocate, which it may report inside another error (a failed commit)."""
    text = str(exc)
    return "duckdb" in type(exc).__module__ and (
        "bad allocation" in text or "Failed to allocate" in text or "Failed to re-allocate" in text)


def _where(exc: BaseException) -> str:
    filename = getattr(exc, "filename", None)
    return f" ({filename})" if filename else ""


def _quiet_stdout() -> None:
    """After a broken pipe, point stdout at /dev/null so that Python's final
    flush does not fail a second time."""
    try:
        os.dup2(os.open(os.devnull, os.O_WRONLY), sys.stdout.fileno())
    except (OSError, ValueError):
        pass


def _fail(message: str, exit_code: int) -> click.ClickException:
    err = click.ClickException(message)
    err.exit_code = exit_code
    return err


_exit_hook = []


def _skip_the_collector_at_exit() -> None:
    """When the interpreter exits, leave what is still alive out of the
    collector's last passes (`gc.freeze()` in an exit handler, which runs after
    those registered later and before the interpreter's final collections).

    The memory goes back to the system with the process anyway; the passes
    only walk every object still alive (pandas, DuckDB, WeasyPrint and what a
    command made): 0.35 s at the end of `forensics demo`.  Only the command
    line does this; a library caller's process exits as it always did.
    """
    if not _exit_hook:
        atexit.register(gc.freeze)
        _exit_hook.append(True)


class ForensicsGroup(click.Group):
    """Turns every failure into one true sentence and an exit code, never a traceback.

    Library errors keep their message and code; a full disk, Ctrl-C (exit
    130, as shells report SIGINT), a closed output pipe (exit 141, as shells
    report SIGPIPE) and memory exhaustion get a sentence each; only an
    unexpected exception is called a bug.
    """

    def main(self, *args, **kwargs):
        _skip_the_collector_at_exit()
        return super().main(*args, **kwargs)

    def invoke(self, ctx):
        try:
            return super().invoke(ctx)
        except ForensicsError as exc:
            # Messages may quote log content (a file's first line): hostile.
            raise _fail(terminal_safe(str(exc)), exc.exit_code) from None
        except (click.ClickException, click.exceptions.Exit, click.exceptions.Abort):
            raise
        except KeyboardInterrupt:
            raise _fail(INTERRUPTED, 130) from None
        except BrokenPipeError:
            _quiet_stdout()
            raise _fail(BROKEN_PIPE, 141) from None
        except MemoryError:
            raise _fail(OUT_OF_MEMORY.format(where=""), 1) from None
        except Exception as exc:
            if _no_space(exc):
                raise _fail(terminal_safe(NO_SPACE.format(where=_where(exc))), 1) from None
            if type(exc).__name__ == "OutOfMemoryException" or _duckdb_allocation(exc):   # DuckDB's
                raise _fail(OUT_OF_MEMORY.format(where=" (DuckDB)"), 1) from None
            if isinstance(exc, OSError) and exc.strerror:
                raise _fail(terminal_safe(f"{exc.strerror.lower()}{_where(exc)}"), 1) from None
            if os.environ.get("FORENSICS_DEBUG"):
                raise
            # a bug: say so plainly, keep the traceback for debugging on request
            raise _fail(
                f"internal error ({type(exc).__name__}: {terminal_safe(str(exc))}). "
                "This is a bug in forensics; set FORENSICS_DEBUG=1 to see the traceback.", 1
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

    for module in ("ingest", "formats", "enrich", "investigate", "report", "sign", "demo", "sql", "export", "lake"):
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
