"""Printing log content to a terminal, safely.

Log lines are hostile input: a User-Agent can carry escape sequences that
clear the screen, retitle the window or hide text, and bidi overrides can
make a line read differently from what it says ("Trojan Source").  Every
text-mode line the CLI prints goes through `echo`, which shows such
characters as visible escapes (`\\x1b`, `\\u202e`; `forensics.visible`,
the same escaper as the PDF's).  A line built from log values goes through
`visible()` itself first, so that a newline inside a value (a user name) is
shown as `\\x0a` and cannot forge a line.  Machine formats keep
values as logged: `--json` escapes control characters itself, `--csv` is data.

Rows go out through `print_rows` in the format the shared `output_options`
flags chose (`--table`, `--csv`, `--tsv`, `--json`, `--nl`), the same on
every command that prints rows.
"""

from __future__ import annotations

import click

from forensics.visible import visible


def terminal_safe(text: str) -> str:
    """A message for the terminal: its own line breaks and tabs kept, every
    other control or direction character shown as an escape (`visible`)."""
    return visible(text, keep_line_breaks=True)


def echo(message: str = "", **kwargs) -> None:
    """click.echo for text meant for a person (see the module docstring)."""
    click.echo(terminal_safe(str(message)), **kwargs)


# -- rows: one set of output options for every command that prints rows -----
OUTPUT_FORMATS = ("table", "csv", "tsv", "json", "nl")


def output_options(func):
    """`--table` (default), `--csv`, `--tsv`, `--json`, `--nl` as one `output` parameter.

    One decorator, so that every command printing rows (query, timeline,
    sources, sql, formats list, lake sources) offers the same formats with
    the same meaning (the sqlite-utils `output_options` idea).  Print with
    `print_rows(frame, output)`.
    """
    options = [
        click.option("--table", "output", flag_value="table", default=True,
                     help="Text for a person (default): control characters shown as escapes."),
        click.option("--csv", "output", flag_value="csv", help="CSV (RFC 4180) with a header row."),
        click.option("--tsv", "output", flag_value="tsv",
                     help="Tab-separated values with a header row; a tab, newline, carriage return or "
                          "backslash inside a value is written as \\t, \\n, \\r, \\\\."),
        click.option("--json", "output", flag_value="json", help="One JSON array of objects."),
        click.option("--nl", "output", flag_value="nl",
                     help="Newline-delimited JSON (JSON Lines): one object per row."),
    ]
    for option in reversed(options):
        func = option(func)
    return func


def plain_value(value, tz=None):
    """A cell as a JSON-able value: times as ISO 8601 with offset, NULL/NaN as None,
    bytes as text with `\\xHH` escapes for what is not printable ASCII."""
    import datetime as dt

    import numpy as np
    import pandas as pd

    from forensics.timefmt import iso

    if value is None:
        return None
    if isinstance(value, (bytes, bytearray, memoryview)):
        return "".join(chr(b) if 0x20 <= b < 0x7f and b != 0x5c else f"\\x{b:02x}" for b in bytes(value))
    if isinstance(value, (pd.Timestamp, dt.datetime)):
        return None if pd.isna(value) else iso(value, tz)
    if isinstance(value, (dt.date, dt.time, dt.timedelta, pd.Timedelta)):
        return None if pd.isna(value) else str(value)
    if isinstance(value, np.generic):
        value = value.item()
    if isinstance(value, float) and value != value:
        return None
    if isinstance(value, np.ndarray):
        return [plain_value(v, tz) for v in value.tolist()]
    if isinstance(value, (list, tuple)):
        return [plain_value(v, tz) for v in value]
    if isinstance(value, dict):
        return {str(k): plain_value(v, tz) for k, v in value.items()}
    if value is pd.NaT or value is pd.NA:
        return None
    return value


def _records(frame, tz=None):
    columns = [str(c) for c in frame.columns]
    for row in frame.itertuples(index=False, name=None):
        yield dict(zip(columns, (plain_value(v, tz) for v in row)))


def _cell_text(value) -> str:
    import json

    if value is None:
        return ""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, (list, dict)):
        return json.dumps(value, ensure_ascii=False)
    return str(value)


_TSV_ESCAPES = str.maketrans({"\\": "\\\\", "\t": "\\t", "\n": "\\n", "\r": "\\r"})


def write_records(records, columns: list[str], output: str, handle) -> int:
    """Write plain records (dicts of `plain_value`s) as csv, tsv, json or nl to a text handle.

    The one encoder of the machine formats: `print_rows` uses it for every
    row-printing command and `forensics export` for its files, so a CSV or
    JSON Lines file means the same everywhere.  Returns the number of rows.
    """
    import csv
    import json

    n = 0
    if output == "json":
        records = list(records)
        handle.write(json.dumps(records, ensure_ascii=False, indent=2, default=str) + "\n")
        return len(records)
    if output == "nl":
        for record in records:
            handle.write(json.dumps(record, ensure_ascii=False, default=str) + "\n")
            n += 1
        return n
    if output == "csv":
        writer = csv.writer(handle, lineterminator="\n")
        writer.writerow(columns)
        for record in records:
            writer.writerow([_cell_text(record.get(c)) for c in columns])
            n += 1
        return n
    if output == "tsv":
        handle.write("\t".join(c.translate(_TSV_ESCAPES) for c in columns) + "\n")
        for record in records:
            handle.write("\t".join(_cell_text(record.get(c)).translate(_TSV_ESCAPES) for c in columns) + "\n")
            n += 1
        return n
    raise ValueError(f"not a machine format: {output}")


def print_rows(frame, output: str = "table", *, tz=None, empty: str = "(no rows)", table=None) -> None:
    """Print a DataFrame in one of `OUTPUT_FORMATS`.

    Args:
        frame: the rows.
        output: table | csv | tsv | json | nl.
        tz: show times in this zone (with offset); default UTC.
        empty: what `--table` prints for no rows.
        table: a function printing the rows for a person in a command's own
            layout (`records` -> None); default an aligned table.
    """
    import io

    if output in ("json", "nl", "csv", "tsv"):
        buffer = io.StringIO()
        write_records(_records(frame, tz), [str(c) for c in frame.columns], output, buffer)
        # color=True: Click would otherwise strip escape sequences when stdout
        # is not a terminal, and machine formats keep values exactly as logged.
        click.echo(buffer.getvalue(), nl=False, color=True)
        return
    if frame.empty:
        echo(empty)
        return
    records = list(_records(frame, tz))
    if table is not None:
        table(records)
        return
    import pandas as pd

    # one row, one line: a newline inside a logged value is shown, not obeyed
    shown = pd.DataFrame([{k: visible(_cell_text(v)) for k, v in r.items()} for r in records],
                         columns=list(frame.columns))
    echo(shown.to_string(index=False))
