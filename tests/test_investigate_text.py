"""`forensics investigate`'s text output reads the text of the lines it prints,
not of every line the investigation cites (issue 14: each cited line's text
costs a compressed block of the case).  The text is the same as from a fully
read investigation; `--json` still carries every cited line's text."""

from __future__ import annotations

import copy
import json

import pytest
from click.testing import CliRunner

import casebuilder as cb
import panel_cases as pc
from forensics import named_queries
from forensics.case import Case
from forensics.cli import main
from forensics.cli.investigate import run_dispute
from forensics.investigate.evidence import fill_raw
from forensics.investigate.model import all_event_refs
from forensics.investigate.textout import render_text, shown_raw


def _ingest(tmp_path, info):
    geo = [a for p in sorted(tmp_path.glob("*.mmdb")) for a in ("--geoip", str(p))]
    res = CliRunner().invoke(main, ["ingest", str(tmp_path / "case.duckdb"), *map(str, info["files"]), "--tz", "UTC",
                                    *info.get("ingest_args", ()), *geo])
    assert res.exit_code == 0, res.output
    return tmp_path / "case.duckdb"


def _dispute(case, account, action, since=None, text_only=False):
    return run_dispute(case, "action", account, action=action, target=None, since=since, until=None, claims=(),
                       claim_date=None, tz=None, config=None, text_only=text_only)[0]


def _raw_asked(monkeypatch):
    """The event ids whose text `event_raw` was asked for (a spy on the named query)."""
    asked: list[list[int]] = []
    real = named_queries.query_rows

    def spy(case, name, params=None, **kwargs):
        if name == "event_raw":
            asked.append(list(params["event_ids"]))
        return real(case, name, params, **kwargs)

    monkeypatch.setattr(named_queries, "query_rows", spy)
    return asked


@pytest.mark.parametrize("family,variant", [("cpanel", pc.HOLDER), ("cpanel", pc.TAKEOVER),
                                            ("proxmox", pc.TAKEOVER)])
def test_text_reads_the_shown_lines_only_and_says_the_same(tmp_path, monkeypatch, family, variant):
    info = getattr(pc, f"{family}_case")(tmp_path, variant)
    path = _ingest(tmp_path, info)
    asked = _raw_asked(monkeypatch)
    with Case.open(path, read_only=True) as case:
        full = _dispute(case, info["account"], info["action"])
        assert len(asked) == 1
        everything = asked.pop()
        text_only = _dispute(case, info["account"], info["action"], text_only=True)
        [shown_ids] = asked
        full.generated_at = text_only.generated_at
        text = render_text(text_only)
        # the rest of the cited lines, read now, completes the same investigation
        rest = fill_raw(case, copy.deepcopy(text_only))
        [_, rest_ids] = asked
    assert rest.to_dict() == full.to_dict()
    assert sorted({*shown_ids, *rest_ids}) == everything
    shown = shown_raw(text_only)
    # one disputed session (Proxmox: the task's start and its index line are two findings in it):
    # its login line and the web server's line that gave it its address
    [s] = {id(f.session): f.session for f in text_only.findings}.values()
    assert len(s.joined) == 1 and {id(r) for r in shown} == {id(s.login), id(s.joined[0])}
    # asked for: the shown lines that were read without their text (the joined line was read with it)
    assert shown_ids and set(shown_ids) <= {r.event_id for r in shown} and None not in [r.raw for r in shown]
    assert len(shown_ids) < len(everything) / 10
    assert None not in [r.raw for r in all_event_refs(full)]
    if family == "cpanel":
        assert s.login.raw.endswith("SUCCESS LOGIN cpaneld")
        assert f"/{s.session_id}/" in s.joined[0].raw
    else:
        assert s.joined[0].raw.startswith(f"::ffff:{info['ip']} - ") and "/access/ticket" in s.joined[0].raw
    assert text == render_text(full)


def test_cli_text_and_json_on_the_founding_story(tmp_path, monkeypatch):
    path = tmp_path / "case.duckdb"
    cb.founding_story(path).close()
    asked = _raw_asked(monkeypatch)
    args = ["investigate", str(path), "--account", cb.HOLDER, "--since", "2026-03-01"]
    text = CliRunner().invoke(main, args)
    assert text.exit_code == 0, text.output
    doc = json.loads(CliRunner().invoke(main, [*args, "--json"]).output)
    text_ids, json_ids = asked
    login = doc["findings"][0]["session"]["login"]
    assert text_ids == [login["event_id"]]                  # one finding, its login line, no joined line
    assert f"   login: {login['path']}:{login['line_no']}  {login['raw']}\n" in text.output
    assert len(json_ids) > 10 and login["event_id"] in json_ids
    with Case.open(path, read_only=True) as case:
        full = _dispute(case, cb.HOLDER, None, since="2026-03-01")
    assert None not in [r.raw for r in all_event_refs(full)]
    assert set(json_ids) <= {r.event_id for r in all_event_refs(full)}
