#!/usr/bin/env python3
"""Refresh the README's demo section from a real `forensics demo` run.

    python tools/demo_readme.py

Runs `forensics demo` in a temporary directory (default DIR, as a user would),
puts its output verbatim between the README's `<!-- demo-output -->` markers,
and renders the summary page (page 2) of the founding story's report to
`docs/demo-report-summary.png` with `pdftoppm` (Debian: poppler-utils).
Nothing in the README's demo section is written by hand.
"""

from __future__ import annotations

import os
import re
import shutil
import subprocess
import sys
import tempfile
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
README = ROOT / "README.md"
IMAGE = ROOT / "docs" / "demo-report-summary.png"
START, END = "<!-- demo-output -->", "<!-- /demo-output -->"


def main() -> int:
    from click.testing import CliRunner

    from forensics.cli import main as cli

    if not shutil.which("pdftoppm"):
        print("pdftoppm not found: apt install poppler-utils", file=sys.stderr)
        return 1
    with tempfile.TemporaryDirectory() as tmp:
        cwd = os.getcwd()
        os.chdir(tmp)
        try:
            result = CliRunner().invoke(cli, ["demo"], catch_exceptions=False)
        finally:
            os.chdir(cwd)
        if result.exit_code != 0:
            print(result.output, file=sys.stderr)
            return 1
        output = result.output.rstrip("\n")
        founding = Path(tmp) / "forensics-demo" / "report-K-10023.pdf"
        IMAGE.parent.mkdir(exist_ok=True)
        subprocess.run(["pdftoppm", "-png", "-r", "70", "-f", "2", "-l", "2", "-singlefile", str(founding),
                        str(IMAGE.with_suffix(""))], check=True)

    text = README.read_text(encoding="utf-8")
    if START not in text or END not in text:
        print(f"README.md lacks the {START} ... {END} markers", file=sys.stderr)
        return 1
    block = f"{START}\n```console\n$ forensics demo\n{output}\n```\n{END}"
    text = re.sub(re.escape(START) + r".*?" + re.escape(END), lambda _: block, text, flags=re.S)
    README.write_text(text, encoding="utf-8")
    print(output)
    print(f"\nwrote {README} and {IMAGE}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
