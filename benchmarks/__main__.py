"""``python -m benchmarks [--scale small|medium|large] [--out results.json] [--repeat N]``.

Generates the scale's input (cached), measures every stage and the peers,
prints the table (targets as pass/fail) and writes the JSON document.
``--table-from results.json [--markdown]`` prints the table of an earlier run
(the README's Performance section is that Markdown).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
from pathlib import Path

from benchmarks.scales import SCALES


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(prog="python -m benchmarks", description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", choices=sorted(SCALES), default="small")
    parser.add_argument("--out", help="write the figures as JSON to this file")
    parser.add_argument("--repeat", type=int, help="runs per figure (default: the scale's)")
    parser.add_argument("--peer-repeat", type=int, help="runs of each peer (default: the scale's)")
    parser.add_argument("--work-dir", default=os.environ.get("FORENSICS_BENCH_DIR", "/tmp/forensics-bench"),
                        help="generated samples (cached) and case files (default %(default)s)")
    parser.add_argument("--seed", type=int, default=None, help="generator seed (default: fixed)")
    parser.add_argument("--regenerate", action="store_true", help="generate the sample even if cached")
    parser.add_argument("--no-peers", action="store_true", help="skip GoAccess, lnav and bare DuckDB")
    parser.add_argument("--profile", action="store_true",
                        help="rerun each stage that misses its target under py-spy and record the hot spots")
    parser.add_argument("--keep", action="store_true", help="keep the last case file in the work dir")
    parser.add_argument("--only", help="comma-separated figure groups to measure "
                        "(ingest,peers,enrich,investigate,report,outage,formats,lake; default all)")
    parser.add_argument("--case", help="an already ingested (and enriched) case of this sample to measure "
                        "investigate/report on, instead of ingesting")
    parser.add_argument("--merge", metavar="JSON", help="keep the figures of this earlier run that are not "
                        "measured again (a large run in two invocations)")
    parser.add_argument("--table-from", metavar="JSON", help="print the table of an earlier run and exit")
    parser.add_argument("--markdown", action="store_true", help="print the table as Markdown")
    args = parser.parse_args(argv)

    from benchmarks import results as tables

    if args.table_from:
        data = json.loads(Path(args.table_from).read_text())
        print(tables.markdown_table(data) if args.markdown else tables.text_table(data))
        return 0

    from benchmarks import inputs
    from benchmarks.runner import Runner

    runner = Runner(SCALES[args.scale], Path(args.work_dir), repeat=args.repeat,
                    seed=args.seed if args.seed is not None else inputs.SEED,
                    regenerate=args.regenerate, keep=args.keep, skip_peers=args.no_peers,
                    profile=args.profile,
                    only=set(args.only.split(",")) if args.only else None, case_path=args.case,
                    merge_from=json.loads(Path(args.merge).read_text()) if args.merge else None,
                    out_path=args.out, peer_repeat=args.peer_repeat)
    data = runner.run()
    if args.out:
        Path(args.out).write_text(json.dumps(data, indent=1, default=str))
    print(tables.markdown_table(data) if args.markdown else tables.text_table(data))
    if args.out:
        print(f"\nfigures written to {args.out}")
    # Targets are never asserted here (CI runs the small scale as a smoke
    # test); a stage that exists but fails is.
    return 1 if data["errors"] else 0


if __name__ == "__main__":
    sys.exit(main())
