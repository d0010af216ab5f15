"""Every dispute of the demo from a lake: pull + investigate = the direct case.

The demo's sample at 133 accounts (the fewest that hold all four scripted
disputes: two action disputes, the outage and the notices dispute) goes
into a lake in ONE `lake ingest` call on a LocalCluster of two workers,
each file with the options `forensics demo` ingests it with (the auth log's
zone and server, the mail log's zone, the outage story's servers and site).
Each dispute's account is then pulled (its whole history) and investigated:
the same assessment, the same cited `file:line`s and the same document
(but case-local ids and the generation time) as on the direct case.

Needs the lake extra; skipped with the reason when it is absent.
"""

from __future__ import annotations

import json
from pathlib import Path

import pytest

pytest.importorskip("distributed", reason="the lake extra is not installed: pip install -e '.[lake]'")

from click.testing import CliRunner  # noqa: E402

from forensics.case import Case  # noqa: E402
from forensics.cli import main  # noqa: E402
from forensics.lake.ingest import ingest_to_lake  # noqa: E402
from forensics.lake.pull import pull_case  # noqa: E402
from lake_fixtures import build_demo_case, cited_lines, demo_inputs, investigate_any, strip_ids  # noqa: E402


@pytest.fixture(scope="module")
def demo(tmp_path_factory):
    directory = tmp_path_factory.mktemp("lake-demo")
    manifest, case_path = build_demo_case(directory, accounts=133)
    lake = directory / "lake"
    report = ingest_to_lake(str(lake), demo_inputs(manifest), workers=2)
    assert [r.status for r in report.results] == ["ingested"] * 8, [r.summary() for r in report.results]
    return manifest, case_path, lake, report


def test_one_call_gives_each_file_its_own_options(demo):
    """The auth log got its zone and server, the story's syslog its server, as in the direct case."""
    manifest, case_path, lake, report = demo
    with Case.open(case_path, read_only=True) as case:
        direct = {Path(r[0]).name: r[1:] for r in case.con.execute(
            "SELECT path, host, tz, lines_read, events_parsed, lines_rejected FROM sources").fetchall()}
    from forensics.lake.pull import lake_sources

    def plain(v):
        return None if v != v else v      # pandas gives NaN for a missing text

    got = {Path(r["path"]).name: tuple(plain(r[k]) for k in ("host", "tz", "lines_read", "events_parsed",
                                                             "lines_rejected"))
           for r in lake_sources(str(lake)).to_dict("records")}
    assert got == direct
    assert got["auth.log"][:2] == (manifest.auth_log_host, manifest.auth_log_tz)
    assert got["shop.example.de-access.log"][0] == "shop.example.de"


def _kinds(manifest):
    disputes = [*manifest.disputes, *manifest.notice_disputes]
    return {getattr(d, "kind", "notices"): d for d in disputes}, disputes


def test_every_demo_dispute_pulled_gives_the_direct_answer(demo, tmp_path):
    manifest, case_path, lake, _ = demo
    kinds, disputes = _kinds(manifest)
    assert sorted(kinds) == ["action", "notices", "outage"] and len(disputes) == 4
    for dispute in disputes:
        pulled = tmp_path / f"{dispute.account}.duckdb"
        # The outage's site is not among the account's panel targets: named as for investigate.
        pull_case(str(lake), pulled, dispute.account, targets=getattr(dispute, "aliases", ()),
                  geoip_paths=list(manifest.geoip_db))
        want = investigate_any(case_path, dispute).to_dict()
        got = investigate_any(pulled, dispute).to_dict()
        cited = cited_lines(want)
        assert cited and cited_lines(got) == cited, dispute.account
        assert strip_ids(got) == strip_ids(want), dispute.account
        kind = getattr(dispute, "kind", "notices")
        if kind == "action":
            assert got["findings"][0]["assessment"] == dispute.expected_assessment
        elif kind == "outage":
            assert [c["classification"] for c in got["outage_claims"]] == [dispute.expected_assessment]
            assert any(Path(c.split(":")[0]).name == "nagios.log" for c in cited)
            assert any(Path(c.split(":")[0]).name == "vps-24330-syslog.log" for c in cited)
        else:
            assert [(c["text"], c["classification"]) for c in got["claims"]] == list(dispute.expected_claims)
            assert any(Path(c.split(":")[0]).name == "mail.log" for c in cited)
            assert any(Path(c.split(":")[0]).name == "tickets.jsonl" for c in cited)


def test_cli_pull_with_target_and_investigate(demo, tmp_path):
    """`forensics lake pull --target` + `forensics investigate --dispute outage`, as a support lead runs them."""
    manifest, case_path, lake, _ = demo
    kinds, _ = _kinds(manifest)
    outage = kinds["outage"]
    runner = CliRunner()
    pulled = tmp_path / "outage.duckdb"
    r = runner.invoke(main, ["lake", "pull", str(lake), str(pulled), "--account", outage.account,
                             "--target", ",".join(outage.aliases)])
    assert r.exit_code == 0, r.output
    args = ["--account", outage.account, "--dispute", "outage", "--target", ",".join([outage.target, *outage.aliases]),
            "--since", "2026-03-01", "--until", "2026-03-31", "--claim", outage.claims[0], "--json"]
    got = json.loads(runner.invoke(main, ["investigate", str(pulled), *args]).output)
    want = json.loads(runner.invoke(main, ["investigate", str(case_path), *args]).output)
    assert cited_lines(got) == cited_lines(want) and strip_ids(got) == strip_ids(want)
    assert got["outage_claims"][0]["classification"] == "overstated"
