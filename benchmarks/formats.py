"""``python -m benchmarks.formats [--lines N] [--repeat N] [--markdown]``: ingest speed per format.

The main suite measures the three logs of the generated sample (panel JSON
lines, combined access log, sshd syslog).  The shipped declarative
definitions are measured here, each on a file of N lines made by repeating
its own sample lines (the ones it must parse, from its `[[samples]]`), through
the whole `forensics ingest` path into a fresh case (reading, parsing, time
resolution, writing: wall time, which a shared machine's load changes; a
definition compiled to SQL runs its SELECT, the others the Python path) and
through the format's own parsing alone (CPU time of the process, DuckDB's
threads included, the best of rounds that take every format in turn): the
Python path (`parse`) and, for a compiled definition, the SQL path
(`parse_sql`, on a private connection).  `parse vs sshd` compares the path
the engine takes (SQL when compiled) with the sshd syslog path's.  The `syslog (sshd lines)`
row is the sshd syslog path every new definition is compared with (`parse vs
sshd`): the syslog definition on its own sshd sample lines only.

`python -m benchmarks` runs this as its `formats` figure group (`--only
formats`), with the scale's `format_lines`.

Repeated sample lines are not a real log's mix, so the figures say how fast
a format's rules are, not how fast a provider's file will be; they are
measured on the same machine in one run, so they compare with each other.
"""

from __future__ import annotations

import argparse
import re
import statistics
import sys
import tempfile
import time
from pathlib import Path

BASELINE = "syslog (sshd lines)"


def _is_sshd(line: str) -> bool:
    return "sshd[" in line or " sshd: " in line


def _sample_file(fmt, directory: Path, lines: int, name: str | None = None) -> Path | None:
    sample_lines = [s.line for s in fmt.samples if not s.reject]
    if name == BASELINE:
        sample_lines = [line for line in sample_lines if _is_sshd(line)]
    if not sample_lines:
        return None
    header = []
    if fmt.kind == "csv" and fmt.csv_spec.get("header"):
        header = [",".join(fmt.csv_spec["columns"])]
    body = _forwards((sample_lines * (lines // len(sample_lines) + 1))[:lines - len(header)])
    path = directory / f"{(name or fmt.name).replace(' ', '_').replace('(', '').replace(')', '')}.log"
    path.write_text("\n".join(header + body) + "\n", encoding="utf-8")
    return path


_CLASSIC = re.compile(r"^[A-Z][a-z]{2} [ \d]\d \d\d:\d\d:\d\d(?=[ :.])")
_MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def _forwards(lines: list[str]) -> list[str]:
    """The lines with their classic (year-less) syslog times rewritten to go forwards, a second a
    line from Jan  1 00:00:00: repeated samples jump back and forth between months, and year-less
    syslog reads each step back as a year roll-over (thousands of them: years past 9999, lines
    rejected).  The layout, and so the parsing work, stays the same."""
    out = []
    for i, line in enumerate(lines):
        if _CLASSIC.match(line):
            day, s = divmod(i, 86400)
            month, day = divmod(day % 360, 30)
            line = f"{_MONTHS[month]} {day + 1:>2} {s // 3600:02d}:{s // 60 % 60:02d}:{s % 60:02d}" + line[15:]
        out.append(line)
    return out


def measure(lines: int = 20_000, repeat: int = 3) -> list[dict]:
    """Lines per second of `forensics ingest` for every auto-detected shipped definition."""
    from forensics.case import Case
    from forensics.ingest.declarative import builtin_definitions
    from forensics.ingest.engine import ingest_files

    rows, texts = [], []
    with tempfile.TemporaryDirectory(prefix="forensics-formats-bench-") as tmp:
        tmp_dir = Path(tmp)
        definitions = builtin_definitions()
        syslog = next(d for d in definitions if d.name == "syslog")
        for name, fmt in [(BASELINE, syslog)] + [(d.name, d) for d in definitions]:
            path = _sample_file(fmt, tmp_dir, lines, name)
            if path is None:
                continue
            seconds = []
            for run in range(repeat):
                case_path = tmp_dir / f"{path.stem}-{run}.duckdb"
                with Case.open(case_path) as case:
                    start = time.perf_counter()
                    report = ingest_files(case, [str(path)], format_name=fmt.name, tz="UTC", year=2026)
                    seconds.append(time.perf_counter() - start)
                case_path.unlink()
            result = report.results[0]
            median = statistics.median(seconds)
            text = [line for line in path.read_text(encoding="utf-8").splitlines() if line.strip()]
            texts.append((fmt, text))
            rows.append({"format": name, "lines": result.lines_read, "events": result.events_parsed,
                         "rejected": result.lines_rejected, "seconds": median,
                         "lines_per_s": result.lines_read / median if median else None})
        # The format's own work (cutting, rules, mapping) in CPU time, in rounds
        # that take every format in turn, the best round kept: a shared
        # machine's load then slows all formats alike, and only adds time.
        best = [None] * len(texts)
        best_sql = [None] * len(texts)
        for _ in range(repeat):
            for i, (fmt, text) in enumerate(texts):
                numbers = list(range(1, len(text) + 1))
                start = time.process_time()
                fmt.parse(text, numbers)
                took = time.process_time() - start
                best[i] = took if best[i] is None else min(best[i], took)
                if fmt.sql_plan is not None:
                    start = time.process_time()
                    fmt.parse_sql(text, numbers)
                    took = time.process_time() - start
                    best_sql[i] = took if best_sql[i] is None else min(best_sql[i], took)
        for row, (fmt, text), cpu, cpu_sql in zip(rows, texts, best, best_sql):
            row["parse_lines_per_cpu_s"] = len(text) / cpu if cpu else None
            row["sql_lines_per_cpu_s"] = len(text) / cpu_sql if cpu_sql else None
            row["path"] = "SQL" if fmt.sql_plan is not None else "Python"
    # the path the engine takes (SQL for a compiled definition), against the sshd syslog path's
    for row in rows:
        row["effective_lines_per_cpu_s"] = row.get("sql_lines_per_cpu_s") or row["parse_lines_per_cpu_s"]
    base = next((r for r in rows if r["format"] == BASELINE), None)
    for row in rows:
        row["vs_sshd"] = (row["effective_lines_per_cpu_s"] / base["effective_lines_per_cpu_s"]
                          if base and row["effective_lines_per_cpu_s"] else None)
    return rows


def table(rows: list[dict], markdown: bool = False) -> str:
    head = ("format", "path", "lines", "events", "rejected", "ingest s (median)", "ingest lines/s",
            "Python parse lines/CPU s", "SQL parse lines/CPU s", "parse vs sshd")
    body = [(r["format"], r.get("path", "-"), f"{r['lines']:,}", f"{r['events']:,}", f"{r['rejected']:,}",
             f"{r['seconds']:.2f}", f"{r['lines_per_s']:,.0f}", f"{r['parse_lines_per_cpu_s']:,.0f}",
             f"{r['sql_lines_per_cpu_s']:,.0f}" if r.get("sql_lines_per_cpu_s") else "-",
             f"{r['vs_sshd']:.2f}" if r["vs_sshd"] else "-") for r in rows]
    if markdown:
        lines = ["| " + " | ".join(head) + " |", "|" + "---|" * len(head)]
        lines += ["| " + " | ".join(row) + " |" for row in body]
        return "\n".join(lines)
    widths = [max(len(str(x)) for x in col) for col in zip(head, *body)]
    return "\n".join("  ".join(str(x).ljust(w) for x, w in zip(row, widths)) for row in (head, *body))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks.formats", description=__doc__.split("\n\n")[0])
    parser.add_argument("--lines", type=int, default=20_000, help="lines per format file (default %(default)s)")
    parser.add_argument("--repeat", type=int, default=3, help="runs per format, median shown (default %(default)s)")
    parser.add_argument("--markdown", action="store_true", help="print a Markdown table")
    args = parser.parse_args(argv)
    print(table(measure(args.lines, args.repeat), args.markdown))
    return 0


if __name__ == "__main__":
    sys.exit(main())
