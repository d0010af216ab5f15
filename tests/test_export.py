"""`forensics export`: the founding dispute's timeline for Timesketch, and as JSONL, CSV, Parquet.

Timesketch's import needs three fields on every event: `message`,
`datetime` (ISO 8601) and `timestamp_desc`; the file name must end in .jsonl
or .csv (google/timesketch, docs/guides/user/import-from-json-csv.md; the
same set is `TIMESKETCH_FIELDS` in timesketch/lib/utils.py, whose
`read_and_validate_csv` and `read_and_validate_jsonl` the last test follows).
"""

from __future__ import annotations

import csv
import datetime as dt
import json

import duckdb
import pytest
from click.testing import CliRunner

from forensics.case import Case
from forensics.cli import main
from lake_fixtures import build_direct

TIMESKETCH_REQUIRED = ("message", "datetime", "timestamp_desc")
# Fields Timesketch's importer removes from every event (FIELDS_TO_REMOVE in
# google/timesketch timesketch/lib/utils.py): an export must not carry data in them.
TIMESKETCH_SCRUBBED = ("_id", "_type", "_index", "_source", "__ts_timeline_id")


@pytest.fixture(scope="module")
def sample(tmp_path_factory):
    return build_direct(tmp_path_factory.mktemp("export"))


def _timeline_rows(case, account):
    with Case.open(case, read_only=True) as c:
        return c.timeline(account)


def _check_timesketch(record):
    for field in TIMESKETCH_REQUIRED:
        assert isinstance(record[field], str) and record[field], (field, record)
    when = dt.datetime.fromisoformat(record["datetime"])
    assert when.utcoffset() == dt.timedelta(0)
    assert record["timestamp"] == int(when.timestamp() * 1_000_000)
    assert record["file_line"] == f"{record['path']}:{record['line_no']}"


def test_timesketch_jsonl_of_the_founding_dispute(sample, tmp_path):
    manifest, case = sample
    dispute = manifest.disputes[0]
    out = tmp_path / "founding.jsonl"
    result = CliRunner().invoke(main, ["export", str(case), "--account", dispute.account,
                                       "--format", "timesketch", "--out", str(out)])
    assert result.exit_code == 0, result.output
    records = [json.loads(line) for line in out.read_text(encoding="utf-8").splitlines()]
    assert len(records) == len(_timeline_rows(case, dispute.account))
    for record in records:
        _check_timesketch(record)
    # The disputed reinstall, with its file and line and the raw line as logged.
    action = [r for r in records if r["event"] == dispute.action and r["datetime"] == dispute.action_time.isoformat()]
    assert len(action) == 1
    (action,) = action
    assert action["message"].startswith("[panel] reinstall success target=" + dispute.target)
    assert action["timestamp_desc"] == "Panel audit log entry" and action["data_type"] == "forensics:panel:reinstall"
    assert action["file_line"].startswith(str(manifest.panel_log) + ":")
    line_no = int(action["file_line"].rsplit(":", 1)[1])
    assert manifest.panel_log.read_text(encoding="utf-8").splitlines()[line_no - 1] == action["raw"]
    assert {r["source_kind"] for r in records} == {"panel", "http", "ssh"}


def test_timesketch_csv_has_the_required_header(sample, tmp_path):
    manifest, case = sample
    out = tmp_path / "founding.csv"
    result = CliRunner().invoke(main, ["export", str(case), "--account", manifest.disputes[0].account,
                                       "--since", "2026-03-22", "--until", "2026-03-22", "--out", str(out)])
    assert result.exit_code == 0, result.output
    with open(out, newline="", encoding="utf-8") as fh:
        rows = list(csv.DictReader(fh))
    assert list(rows[0])[:4] == ["message", "datetime", "timestamp", "timestamp_desc"]
    for row in rows:
        row["timestamp"], row["line_no"] = int(row["timestamp"]), int(row["line_no"])
        _check_timesketch(row)
        assert row["datetime"].startswith("2026-03-22T")


def test_jsonl_csv_and_parquet_carry_the_timeline(sample, tmp_path):
    manifest, case = sample
    account = manifest.disputes[1].account
    frame = _timeline_rows(case, account)
    runner = CliRunner()
    lines = runner.invoke(main, ["export", str(case), "--account", account, "--format", "jsonl"]).output
    records = [json.loads(line) for line in lines.splitlines()]
    assert len(records) == len(frame) and records[0]["ts"].endswith("+00:00")
    assert "message" not in records[0]
    out = tmp_path / "t.parquet"
    assert runner.invoke(main, ["export", str(case), "--account", account, "--format", "parquet",
                                "--out", str(out)]).exit_code == 0
    con = duckdb.connect()
    n, kinds = con.execute(f"SELECT count(*), list(DISTINCT source_kind ORDER BY source_kind) "
                           f"FROM read_parquet('{out}')").fetchone()
    assert n == len(frame) and kinds == sorted(set(frame["source_kind"]))
    r = runner.invoke(main, ["export", str(case), "--account", account, "--format", "parquet"])
    assert r.exit_code == 1 and "--format parquet needs --out" in r.output


def test_timesketch_import_rules_accept_the_founding_dispute(sample, tmp_path):
    """The checks Timesketch's importer makes (timesketch/lib/utils.py), applied to both files:
    JSONL: every line a JSON object with the mandatory fields; CSV: the mandatory headers
    (read by pandas, as Timesketch does) and a `datetime` pandas parses on every row, none dropped."""
    import pandas as pd

    manifest, case = sample
    account = manifest.disputes[0].account
    runner = CliRunner()
    files = {}
    for name in ("founding.jsonl", "founding.csv"):
        files[name] = tmp_path / name
        r = runner.invoke(main, ["export", str(case), "--account", account, "--out", str(files[name])])
        assert r.exit_code == 0, r.output
        assert f"{files[name]}: " in r.output and "rows (timesketch)" in r.output
    with open(files["founding.jsonl"], encoding="utf-8") as fh:
        events = [json.loads(line) for line in fh]
    assert events and all(not [f for f in TIMESKETCH_REQUIRED if f not in e] for e in events)
    assert not set(TIMESKETCH_SCRUBBED) & set(events[0])
    header = pd.read_csv(files["founding.csv"], nrows=0)
    assert set(TIMESKETCH_REQUIRED) <= set(header.columns)
    frame = pd.read_csv(files["founding.csv"])
    parsed = pd.to_datetime(frame["datetime"], errors="coerce", utc=True)
    assert len(frame) == len(events) and not parsed.isna().any()
    # Timesketch derives `timestamp` (epoch microseconds) from `datetime`: ours agree.
    micros = (parsed - pd.Timestamp(0, tz="UTC")) // pd.Timedelta(microseconds=1)
    assert (micros == frame["timestamp"]).all()
    assert list(frame["file_line"]) == [e["file_line"] for e in events]
    # The disputed reinstall, as the analyst will see it in Timesketch.
    dispute = manifest.disputes[0]
    (reinstall,) = [e for e in events if e["event"] == "reinstall" and e["datetime"] == dispute.action_time.isoformat()]
    assert reinstall["timestamp_desc"] == "Panel audit log entry"
    assert reinstall["message"] == (f"[panel] reinstall success target={dispute.target} "
                                    f"user={reinstall['user']} ip={reinstall['ip']}")
