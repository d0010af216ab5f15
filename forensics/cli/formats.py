"""`forensics formats`: list the log formats, check definition files."""

from __future__ import annotations

import click

from forensics.cli.output import echo, output_options, print_rows
from forensics.english import counted


@click.group("formats")
def formats():
    """Log formats: the built-in ones and declarative definitions (.toml).

    A definition declares how to read a log (regex, CSV or JSON lines), how
    its fields map to the canonical event columns, and sample lines with the
    values they must give; see README "Log format definitions".
    """


@formats.command("list")
@output_options
def list_formats(output):
    """Show every format, in the order auto-detection tries them.

    \b
    Example:
        forensics formats list
    """
    from forensics.ingest.declarative import format_catalog

    import pandas as pd

    frame = pd.DataFrame([vars(info) for info in format_catalog()])
    print_rows(frame, output, table=_format_table)


def _format_table(records) -> None:
    width = max(len(r["name"]) for r in records)
    kind_width = max(len(r["kind"]) for r in records)
    echo(f"{'name':<{width}}  {'kind':<{kind_width}}  {'source':<7}  description")
    for r in records:
        echo(f"{r['name']:<{width}}  {r['kind']:<{kind_width}}  {r['source_kind']:<7}  {r['description']}")


@formats.command("check")
@click.argument("files", nargs=-1, type=click.Path())
@click.option("-v", "--verbose", is_flag=True, help="Also print the lines of passing samples.")
def check(files, verbose):
    """Run the sample lines of definition FILES (default: the shipped ones).

    A directory stands for every `*.toml` definition in it.

    Each sample line is parsed and compared with its expected values; the
    command prints pass/fail per sample and exits with 1 if any fails, or if
    a pattern nests one unbounded loop in another (`(a+)+`: catastrophic
    backtracking on a hostile line).  A user's definition runs each pattern
    with a time budget per line; a sample that exceeds it fails, saying so.

    \b
    Example:
        forensics formats check my-panel.toml
    """
    from pathlib import Path

    from forensics.ingest.declarative import (
        builtin_definitions, check_definition, load_definition, load_definitions_dir,
    )

    definitions = []
    for path in files:
        definitions += load_definitions_dir(path) if Path(path).is_dir() else [load_definition(path)]
    if not files:
        definitions = builtin_definitions()
    elif not definitions:
        raise click.ClickException(f"no format definition (*.toml) in {', '.join(files)}")
    failed = total = unsafe = 0
    for fmt in definitions:
        results = check_definition(fmt)
        bad = [r for r in results if not r.passed]
        echo(f"{fmt.name} ({fmt.path}): {len(results) - len(bad)}/{len(results)} samples pass")
        for warning in fmt.regex_warnings:
            unsafe += 1
            echo(f"  UNSAFE  {warning}")
        for result in results:
            total += 1
            if result.passed:
                if verbose:
                    echo(f"  pass  sample {result.index}: {result.line[:100]}")
                continue
            failed += 1
            echo(f"  FAIL  sample {result.index}: {result.line[:100]}")
            for problem in result.problems:
                echo(f"          {problem}")
    problems = []
    if failed:
        problems.append(f"{failed} of {total} samples failed")
    if unsafe:
        problems.append(f"{counted(unsafe, 'pattern')} with a loop inside a loop (catastrophic backtracking)")
    if problems:
        raise click.ClickException("; ".join(problems))


COMMANDS = [formats]
