"""The evidence model is written once (evidence_model.py) and shown as it is."""

from __future__ import annotations

import json
import re
from pathlib import Path

import pandas as pd

from forensics.investigate.action import evidence_model as em
from forensics.investigate.action.sessions import forwarded_clients
from forensics.messages import Msg

ROOT = Path(__file__).resolve().parent.parent


def test_every_conclusion_the_indicators_draw_is_a_row_of_the_model():
    source = (ROOT / "forensics" / "investigate" / "action" / "indicators.py").read_text(encoding="utf-8")
    drawn = set(re.findall(r'_ind\("(\w+)", "(\w+)"', source))
    drawn |= {("clickstream", c) for c in ("automated_as_usual", "automated_browser", "automated")}
    rows = {(e.indicator, e.conclusion) for e in em.MODEL}
    assert drawn - rows == set()
    assert len(rows) == len(em.MODEL)                     # one row per conclusion
    assert rows - drawn == set()                          # and no row nobody draws


def test_model_rows_are_consistent():
    for e in em.MODEL:
        assert isinstance(e.why, Msg) and e.why.endswith(".")
        assert e.producible in (em.COPYABLE, em.HARD, em.AMBIGUOUS)
        if e.direction == "holder":
            assert e.weight in ("hard", "supporting")
        elif e.direction == "other":
            assert e.weight in ("strong", "weak", "hint", "staff")
        else:
            assert e.weight == "none"
        # a holder conclusion that rests on a copyable fact is never "hard"
        if e.direction == "holder" and e.producible == em.COPYABLE:
            assert e.weight == "supporting"
    # copyable facts: the credential, the browser string; never hard for the holder
    assert {e.fact for e in em.MODEL if e.direction == "holder" and e.weight == "hard"} == {"address", "second_factor"}
    assert em.HARD_HOLDER == ("api_key_usage", "credential", "network_continuity")


def test_docs_show_the_model_as_the_code_has_it():
    doc = (ROOT / "docs" / "evidence-model.md").read_text(encoding="utf-8")
    assert f"<!-- evidence-model -->\n{em.markdown()}\n<!-- /evidence-model -->" in doc, \
        "run python tools/evidence_model_doc.py"


def _http(rows):
    return pd.DataFrame(rows, columns=["ip", "detail"])


def test_x_forwarded_for_only_from_trusted_proxies():
    frame = _http([
        ("10.10.0.5", json.dumps({"x_forwarded_for": "84.132.10.7"})),                 # trusted balancer
        ("10.10.0.5", json.dumps({"x_forwarded_for": "6.6.6.6, 84.132.10.8, 10.10.0.9"})),  # chain: right-most untrusted
        ("203.0.113.9", json.dumps({"x_forwarded_for": "84.132.10.7"})),               # a client's own header: ignored
        ("10.10.0.5", json.dumps({"x_forwarded_for": "unknown"})),                     # not an address
        ("10.10.0.5", None),
    ])
    out = forwarded_clients(frame, ["10.10.0.0/24"])
    assert list(out["ip"]) == ["84.132.10.7", "84.132.10.8", "203.0.113.9", "10.10.0.5", "10.10.0.5"]
    assert json.loads(out["detail"][0])["forwarded_by"] == "10.10.0.5"
    assert list(forwarded_clients(frame, [])["ip"]) == list(frame["ip"])   # nothing trusted by default


def test_a_malformed_trusted_proxy_is_a_sentence_not_a_traceback():
    import pytest

    from forensics.errors import ForensicsError

    with pytest.raises(ForensicsError, match="trusted_proxies: 'lb-1' is not an address range"):
        forwarded_clients(_http([("10.10.0.5", json.dumps({"x_forwarded_for": "84.132.10.7"}))]), ["lb-1"])
