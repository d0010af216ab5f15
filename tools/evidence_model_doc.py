#!/usr/bin/env python3
"""Write the evidence model's table (forensics/investigate/action/evidence_model.py)
into docs/evidence-model.md between its `<!-- evidence-model -->` markers.

    python tools/evidence_model_doc.py

The model lives once, in code; the page explains it and shows this table,
tests/test_investigate_evidence_model.py fails when the page is stale.
"""

from __future__ import annotations

import re
import sys
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
DOC = ROOT / "docs" / "evidence-model.md"
START, END = "<!-- evidence-model -->", "<!-- /evidence-model -->"


def main() -> int:
    from forensics.investigate.action.evidence_model import markdown

    text = DOC.read_text(encoding="utf-8")
    new = re.sub(re.escape(START) + ".*?" + re.escape(END), lambda _: f"{START}\n{markdown()}\n{END}", text,
                 flags=re.S)
    DOC.write_text(new, encoding="utf-8")
    print("unchanged" if new == text else f"updated {DOC.relative_to(ROOT)}")
    return 0


if __name__ == "__main__":
    sys.exit(main())
