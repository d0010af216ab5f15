#!/usr/bin/env python3
"""Measure the adversarial suite and print (or write into the README) its table.

    python tools/adversarial_table.py [--seeds 1,2,3,4,5] [--write]

Runs every scenario of `tests/adversarial.py` on each seed through the real
pipeline (generate, ingest, enrich, investigate) and counts the assessments
per scenario.  With `--write` the table replaces the README's text between
the `<!-- adversarial-table -->` markers: the README's figures are measured,
never written by hand.
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from collections import Counter
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
START, END = "<!-- adversarial-table -->", "<!-- /adversarial-table -->"
COLUMNS = ("account_holder", "inconclusive", "compromise_suspected")


def table(seeds: list[int]) -> str:
    sys.path.insert(0, str(ROOT / "tests"))
    import adversarial

    started = time.perf_counter()
    outcomes = [o for seed in seeds for o in adversarial.run(seed)]
    seconds = time.perf_counter() - started
    names = list(dict.fromkeys(o.scenario.name for o in outcomes))
    lines = ["| scenario | who did it | careful answer | " + " | ".join(f"`{c}`" for c in COLUMNS)
             + " | other | defensible |", "|---|---|---|" + "---:|" * (len(COLUMNS) + 2)]
    for name in names:
        mine = [o for o in outcomes if o.scenario.name == name]
        counts = Counter(o.assessment for o in mine)
        other = sum(v for k, v in counts.items() if k not in COLUMNS)
        sc = mine[0].scenario
        lines.append(f"| {name} | {sc.truth} | `{sc.expected}` | "
                     + " | ".join(str(counts.get(c, 0)) for c in COLUMNS)
                     + f" | {other} | {sum(o.defensible for o in mine)}/{len(mine)} |")
    takeovers = [o for o in outcomes if o.scenario.truth == adversarial.TAKEOVER]
    holders = [o for o in outcomes if o.scenario.truth == adversarial.HOLDER]
    lines.append("")
    lines.append(f"Seeds {', '.join(map(str, seeds))}: {len(outcomes)} disputed actions; takeovers assessed "
                 f"`account_holder`: {sum(o.assessment == 'account_holder' for o in takeovers)} of {len(takeovers)}; "
                 f"holder cases assessed `compromise_suspected`: "
                 f"{sum(o.assessment == 'compromise_suspected' for o in holders)} of {len(holders)}; "
                 f"answers equal to the careful one: {sum(o.assessment == o.scenario.expected for o in outcomes)} "
                 f"of {len(outcomes)} ({seconds:.0f} s for the whole run).")
    return "\n".join(lines)


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--seeds", default="1,2,3,4,5", help="comma-separated seeds")
    parser.add_argument("--write", action="store_true", help="replace the README's table")
    args = parser.parse_args()
    text = table([int(s) for s in args.seeds.split(",") if s.strip()])
    print(text)
    if args.write:
        readme = README.read_text(encoding="utf-8")
        if START not in readme or END not in readme:
            print(f"README has no {START} ... {END} markers", file=sys.stderr)
            return 1
        readme = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: f"{START}\n{text}\n{END}", readme,
                        flags=re.S)
        README.write_text(readme, encoding="utf-8")
    return 0


if __name__ == "__main__":
    sys.exit(main())
