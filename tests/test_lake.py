"""The evidence lake: Dask LocalCluster, S3 served by moto, and the same answers as a direct ingest.

Needs the lake extra (`pip install -e '.[lake]'`: dask[distributed], s3fs,
moto[server]); skipped with the reason when it is absent.  The input is the
demo generator's sample at small volume (3 accounts, 15 months: both
scripted disputes).
"""

from __future__ import annotations

import json
import os
from pathlib import Path

import duckdb
import pytest

pytest.importorskip("distributed", reason="the lake extra is not installed: pip install -e '.[lake]'")
pytest.importorskip("s3fs", reason="the lake extra is not installed: pip install -e '.[lake]'")
pytest.importorskip("moto", reason="the lake extra is not installed: pip install -e '.[lake]'")

from click.testing import CliRunner  # noqa: E402

from forensics.case import Case  # noqa: E402
from forensics.cli import main  # noqa: E402
from forensics.config import load_config  # noqa: E402
from forensics.errors import ForensicsError  # noqa: E402
from forensics.lake.ingest import ingest_to_lake  # noqa: E402
from forensics.lake.pull import lake_sources, pull_case  # noqa: E402
from lake_fixtures import build_direct, cited_lines, investigate, strip_ids  # noqa: E402


@pytest.fixture(scope="module")
def direct(tmp_path_factory):
    return build_direct(tmp_path_factory.mktemp("lake-direct"))


def _ingest_like_demo(lake, manifest, **kwargs):
    """One call, as a provider ingests a case: the auth log with its own zone and server."""
    report = ingest_to_lake(str(lake), [str(manifest.panel_log), str(manifest.access_log),
                                        (str(manifest.auth_log), {"tz": manifest.auth_log_tz,
                                                                  "host": manifest.auth_log_host})], **kwargs)
    return report.results


@pytest.fixture(scope="module")
def local_lake(tmp_path_factory, direct):
    """The sample in a local lake, ingested by a Dask LocalCluster of two workers."""
    manifest, _ = direct
    lake = tmp_path_factory.mktemp("lake") / "lake"
    results = _ingest_like_demo(lake, manifest, workers=2)
    return lake, results


def _direct_counts(case_path):
    with Case.open(case_path, read_only=True) as case:
        rows = case.con.execute(
            "SELECT s.sha256, s.lines_read, s.events_parsed, s.lines_rejected, s.lines_blank, "
            "(SELECT count(*) FROM events e WHERE e.source_id = s.source_id), "
            "(SELECT count(*) FROM rejects r WHERE r.source_id = s.source_id) FROM sources s").fetchall()
    return {r[0]: r[1:] for r in rows}


def _lake_counts(lake_dir: Path):
    con = duckdb.connect()
    sources = con.execute(f"SELECT sha256, lines_read, events_parsed, lines_rejected, lines_blank "
                          f"FROM read_parquet('{lake_dir}/sources/*.parquet')").fetchall()
    events = dict(con.execute(f"SELECT source_sha256, count(*) FROM read_parquet('{lake_dir}/events/**/*.parquet', "
                              f"hive_partitioning = true) GROUP BY ALL").fetchall())
    rejects = dict(con.execute(f"SELECT source_sha256, count(*) FROM read_parquet('{lake_dir}/rejects/*.parquet') "
                               f"GROUP BY ALL").fetchall())
    return {r[0]: (*r[1:], events.get(r[0], 0), rejects.get(r[0], 0)) for r in sources}


def test_two_workers_give_the_counts_of_a_direct_ingest(direct, local_lake):
    _, case_path = direct
    lake, results = local_lake
    assert [r.status for r in results] == ["ingested"] * 3
    assert _lake_counts(lake) == _direct_counts(case_path)
    # Hive partitions by kind and day, the file's hash as the key.
    panel_days = sorted((lake / "events" / "source_kind=panel").iterdir())
    assert panel_days[0].name == "day=2025-01-15" and panel_days[-1].name == "day=2026-04-14"
    # The tasks wrote into the lake's staging directory and moved their files out: nothing is left there.
    assert list((lake / ".incoming").iterdir()) == []


def test_the_driver_places_every_task_and_the_workers_write_the_custody_rows(direct, tmp_path):
    """With --workers: every task, the custody rows too, ran in the two worker processes,
    a file's custody row after all its parts, and no process is left once the call returns."""
    import multiprocessing.forkserver

    manifest, case_path = direct
    report = ingest_to_lake(str(tmp_path / "lake"), [str(manifest.panel_log), str(manifest.access_log)], workers=2)
    assert [r.status for r in report.results] == ["ingested", "ingested"]
    workers = {t.worker for t in [*report.plans, *report.parts]}
    assert len(workers) == 2 and not any(w.endswith(f":{os.getpid()}") for w in workers)
    assert sorted(c.sha256 for c in report.custody) == sorted(r.sha256 for r in report.results)
    assert {c.worker for c in report.custody} <= workers
    for written in report.custody:
        parts = [p for p in report.parts if p.sha256 == written.sha256]
        assert parts and written.started_at >= max(p.finished_at for p in parts)
    assert _lake_counts(tmp_path / "lake") == {sha: counts for sha, counts in _direct_counts(case_path).items()
                                               if sha in {r.sha256 for r in report.results}}
    assert multiprocessing.forkserver._forkserver._forkserver_pid is None


def test_reingest_adds_nothing(direct, local_lake):
    manifest, _ = direct
    lake, _ = local_lake
    before = sorted(p for p in lake.rglob("*") if p.is_file())
    again = ingest_to_lake(str(lake), [str(manifest.access_log), str(manifest.auth_log)])
    assert [r.status for r in again.results] == ["duplicate", "duplicate"]
    assert "already in the lake" in again.results[0].summary()
    assert sorted(p for p in lake.rglob("*") if p.is_file()) == before


def test_byte_ranges_number_lines_exactly(direct, tmp_path):
    """The access log cut into ~200 KiB ranges, one task each: the same rows, line for line."""
    manifest, case_path = direct
    config = load_config()
    config["lake"]["split_mib"] = 0.2
    report = ingest_to_lake(str(tmp_path / "lake"), [str(manifest.access_log)], config=config)
    (result,) = report.results
    assert result.parts > 5 and report.tasks == result.parts
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    lake_rows = con.execute(
        f"SELECT line_no, ts, ip, \"user\", path, status, raw FROM read_parquet('{tmp_path}/lake/events/**/*.parquet') "
        "ORDER BY line_no").fetchall()
    with Case.open(case_path, read_only=True) as case:
        direct_rows = case.con.execute(
            "SELECT line_no, ts, ip, \"user\", e.path, status, raw FROM events e JOIN sources s USING (source_id) "
            "WHERE s.sha256 = $sha ORDER BY line_no", {"sha": result.sha256}).fetchall()
        custody = case.con.execute("SELECT lines_read, first_ts, last_ts FROM sources WHERE sha256 = $sha",
                                   {"sha": result.sha256}).fetchone()
    assert lake_rows == direct_rows
    merged = lake_sources(str(tmp_path / "lake")).iloc[0]
    assert (merged["lines_read"], merged["first_ts"], merged["last_ts"]) == custody


def test_a_split_file_with_naive_times_is_ingested_whole(tmp_path):
    """Naive local times need the whole file's order (DST, years): the ranges are dropped and redone."""
    log = tmp_path / "panel.jsonl"
    lines = [json.dumps({"ts": f"2026-03-29T0{h % 4}:{m:02d}:00", "account": "K-1", "event": "login",
                         "user": "u", "ip": "192.0.2.7"}) for h in range(4) for m in range(60)]
    log.write_text("\n".join(lines) + "\n")
    config = load_config()
    config["lake"]["split_mib"] = 0.004
    report = ingest_to_lake(str(tmp_path / "lake"), [str(log)], tz="Europe/Berlin", config=config)
    (result,) = report.results
    assert result.parts == 1 and report.tasks > 1 and result.events_parsed == 240
    direct_case = tmp_path / "direct.duckdb"
    with Case.open(direct_case) as case:
        case.ingest([log], tz="Europe/Berlin")
        expected = case.con.execute("SELECT line_no, ts FROM events ORDER BY line_no").fetchall()
    con = duckdb.connect()
    con.execute("SET TimeZone = 'UTC'")
    got = con.execute(f"SELECT line_no, ts FROM read_parquet('{tmp_path}/lake/events/**/*.parquet') "
                      "ORDER BY line_no").fetchall()
    assert got == expected
    assert len(list((tmp_path / "lake" / "rejects").iterdir())) == 1   # the ranges' files are gone


def test_pulled_case_gives_the_direct_answer(direct, local_lake, tmp_path):
    manifest, case_path = direct
    lake, _ = local_lake
    assert len(manifest.disputes) == 2
    for dispute in manifest.disputes:
        pulled = tmp_path / f"{dispute.account}.duckdb"
        result = pull_case(str(lake), pulled, dispute.account, geoip_paths=list(manifest.geoip_db))
        assert result.sources == 3 and result.events > 0
        want = investigate(case_path, dispute).to_dict()
        got = investigate(pulled, dispute).to_dict()
        assert got["findings"][0]["assessment"] == want["findings"][0]["assessment"] == dispute.expected_assessment
        assert cited_lines(got) == cited_lines(want)
        assert strip_ids(got) == strip_ids(want)
        with Case.open(pulled, read_only=True) as case:
            meta = case.meta()
        assert meta["lake"] == str(lake) and meta["lake_account"] == dispute.account
        files = json.loads(meta["lake_parquet_files"])
        assert any("/events/source_kind=panel/day=2026-03-22/" in f for f in files)
        assert "read_parquet" in json.loads(meta["lake_query"])[0]
    # `report` works on the pulled case as on any case, citing the original files.
    rendered = _render(pulled, manifest.disputes[-1], tmp_path / "pulled.pdf")
    assert rendered.path.exists() and rendered.path.stat().st_size > 10_000


def _render(case_path, dispute, out):
    with Case.open(case_path, read_only=True) as case:
        return case.report(investigate(case_path, dispute), out, lang="en", report_date="2026-04-15")


def test_pull_refuses_an_existing_case_and_an_unknown_account(direct, local_lake, tmp_path):
    _, case_path = direct
    lake, _ = local_lake
    runner = CliRunner()
    r = runner.invoke(main, ["lake", "pull", str(lake), str(case_path), "--account", "K-1"])
    assert r.exit_code == 1 and "exists; pull into a new case file" in r.output
    r = runner.invoke(main, ["lake", "pull", str(lake), str(tmp_path / "x.duckdb"), "--account", "K-NOPE"])
    assert r.exit_code == 1 and "no panel events for account 'K-NOPE'" in r.output
    assert not (tmp_path / "x.duckdb").exists() and not (tmp_path / "x.duckdb.partial").exists()


def test_cli_lake_ingest_sources_and_pull(direct, tmp_path):
    manifest, case_path = direct
    runner = CliRunner()
    lake = tmp_path / "lake"
    r = runner.invoke(main, ["lake", "ingest", str(lake), str(manifest.panel_log), str(manifest.access_log)])
    assert r.exit_code == 0, r.output
    assert "panel-audit.jsonl: format panel-jsonl, 1 task:" in r.output
    assert "2 files, 2 tasks on 1 worker" in r.output
    r = runner.invoke(main, ["lake", "ingest", str(lake), str(manifest.panel_log)])
    assert r.exit_code == 0 and "already in the lake" in r.output
    listing = json.loads(runner.invoke(main, ["lake", "sources", str(lake), "--json"]).output)
    assert [Path(s["path"]).name for s in listing] == ["panel-audit.jsonl", "panel-access.log"]
    with Case.open(case_path, read_only=True) as case:
        first_ts = case.con.execute("SELECT first_ts FROM sources WHERE source_id = 1").fetchone()[0]
    assert listing[0]["first_ts"] == first_ts.isoformat() and listing[0]["first_ts"].startswith("2025-01-15T")
    account = manifest.disputes[0].account
    r = runner.invoke(main, ["lake", "pull", str(lake), str(tmp_path / "k.duckdb"), "--account", account,
                             "--since", "2026-03-15", "--until", "2026-03-28"])
    assert r.exit_code == 0, r.output
    assert f"account {account}" in r.output and "from 2 files" in r.output
    assert "window 2025-03-14T00:00:00+00:00 .. 2026-03-30T00:00:00+00:00" in r.output
    r = runner.invoke(main, ["lake", "ingest", str(lake), str(tmp_path / "missing.log")])
    assert r.exit_code == 1 and "missing.log: no such file" in r.output
    # A file no format recognises is refused in the engine's words; the others go on.
    garbage = tmp_path / "notes.txt"
    garbage.write_text("shopping list\nmilk\n")
    r = runner.invoke(main, ["lake", "ingest", str(lake), str(garbage), str(manifest.auth_log), "--tz", "UTC"])
    assert r.exit_code == 1, r.output
    assert "notes.txt: no known format matches its first lines" in r.output
    assert "auth.log: format syslog, 1 task:" in r.output
    assert "Traceback" not in r.output


# -- S3, served by moto's real S3 protocol server ------------------------------
@pytest.fixture(scope="module")
def s3(monkeypatch_module):
    from moto.server import ThreadedMotoServer

    server = ThreadedMotoServer(ip_address="127.0.0.1", port=0, verbose=False)
    server.start()
    host, port = server.get_host_and_port()
    for key, value in {"AWS_ACCESS_KEY_ID": "testing", "AWS_SECRET_ACCESS_KEY": "testing",
                       "AWS_DEFAULT_REGION": "us-east-1"}.items():
        monkeypatch_module.setenv(key, value)
    yield {"endpoint_url": f"http://{host}:{port}"}
    server.stop()


@pytest.fixture(scope="module")
def monkeypatch_module():
    with pytest.MonkeyPatch.context() as patch:
        yield patch


def test_s3_lake_gives_the_counts_and_the_answer_of_a_direct_ingest(direct, s3, tmp_path):
    import s3fs

    manifest, case_path = direct
    fs = s3fs.S3FileSystem(**s3)
    fs.mkdir("logs")
    fs.mkdir("lake")
    for path in manifest.log_files:
        # The original modification time travels as object metadata (rclone's
        # `mtime`): year-less syslog takes its year from it.
        fs.put_file(str(path), f"logs/{Path(path).name}", Metadata={"mtime": str(Path(path).stat().st_mtime)})
    urls = {Path(p).name: f"s3://logs/{Path(p).name}" for p in manifest.log_files}
    first = ingest_to_lake("s3://lake/demo", [urls["panel-audit.jsonl"], urls["panel-access.log"]],
                           storage_options=s3, workers=2)
    second = ingest_to_lake("s3://lake/demo", [urls["auth.log"]], tz=manifest.auth_log_tz,
                            host=manifest.auth_log_host, storage_options=s3)
    assert [r.status for r in first.results + second.results] == ["ingested"] * 3
    assert any(k.startswith("demo/events/source_kind=http/day=2026-03-22/") for k in
               (p.removeprefix("lake/") for p in fs.find("lake")))
    direct_counts = _direct_counts(case_path)
    local = tmp_path / "copy"
    fs.get("lake/demo/", str(local), recursive=True)
    assert _lake_counts(local) == direct_counts
    again = ingest_to_lake("s3://lake/demo", [urls["auth.log"]], storage_options=s3)
    assert again.results[0].status == "duplicate"

    dispute = manifest.disputes[0]
    pulled = tmp_path / "pulled.duckdb"
    pull_case("s3://lake/demo", pulled, dispute.account, geoip_paths=list(manifest.geoip_db), storage_options=s3)
    want = investigate(case_path, dispute).to_dict()
    got = investigate(pulled, dispute).to_dict()
    assert got["findings"][0]["assessment"] == want["findings"][0]["assessment"] == "account_holder"
    assert cited_lines(got, by_name=True) == cited_lines(want, by_name=True)
    assert got["findings"][0]["action"]["path"] == "s3://logs/panel-audit.jsonl"
    with Case.open(pulled, read_only=True) as case:
        assert case.meta()["lake"] == "s3://lake/demo"


def test_benchmark_child_reports_cpu_per_worker(direct, tmp_path, capsys):
    """`python -m benchmarks.lake` measures through this child: both ingest calls, figures as JSON."""
    from benchmarks.lake import main as bench_main

    manifest, case_path = direct
    assert bench_main(["--child", str(tmp_path / "lake"), "0", str(manifest.panel_log), str(manifest.access_log),
                       str(manifest.auth_log), "--tz", manifest.auth_log_tz, "--host", manifest.auth_log_host]) == 0
    doc = json.loads(capsys.readouterr().out.strip().splitlines()[-1])
    with Case.open(case_path, read_only=True) as case:
        assert doc["events"] == case.con.execute("SELECT count(*) FROM events").fetchone()[0]
    # In process: one worker, this one; its CPU is every task's, and the busiest worker's.
    (worker,) = doc["cpu_per_worker"]
    assert worker.endswith(f":{os.getpid()}") and doc["tasks"] == len(doc["parts"]) == 3
    assert 0 < doc["busiest_worker_cpu_s"] == pytest.approx(doc["task_cpu_seconds"])
    assert {p["file"] for p in doc["parts"]} == {"panel-audit.jsonl", "panel-access.log", "auth.log"}


def test_lake_sql_reads_the_lake_and_nothing_else(direct, local_lake, tmp_path):
    """`forensics lake sql`: the lake's views, the shared output flags, writes and other files refused."""
    _, case_path = direct
    lake, _ = local_lake
    runner = CliRunner()
    query = ("SELECT s.sha256, count(e.line_no) AS events FROM sources s LEFT JOIN events e "
             "ON e.source_sha256 = s.sha256 GROUP BY ALL ORDER BY ALL")
    outputs = {}
    for flag in ("--table", "--csv", "--tsv", "--json", "--nl"):
        r = runner.invoke(main, ["lake", "sql", str(lake), query, flag])
        assert r.exit_code == 0, r.output
        outputs[flag] = r.output
    rows = json.loads(outputs["--json"])
    assert {r["sha256"]: r["events"] for r in rows} == {k: v[4] for k, v in _direct_counts(case_path).items()}
    assert [json.loads(line) for line in outputs["--nl"].splitlines()] == rows
    assert outputs["--csv"].splitlines()[0] == "sha256,events" and len(outputs["--csv"].splitlines()) == 4
    assert outputs["--tsv"].splitlines()[0] == "sha256\tevents"
    days = json.loads(runner.invoke(main, ["lake", "sql", str(lake), "SELECT min(day) AS first FROM events "
                                           "WHERE source_kind = 'panel'", "--json"]).output)
    assert str(days[0]["first"]).startswith("2025-01-15")
    before = sorted((p, p.stat().st_mtime_ns) for p in lake.rglob("*") if p.is_file())
    for statement, word in [("COPY (SELECT * FROM events) TO 'x.csv'", "COPY"),
                            ("SELECT 1; CREATE TABLE x AS SELECT 1", "CREATE"),
                            ("ATTACH 'x.duckdb'", "ATTACH")]:
        r = runner.invoke(main, ["lake", "sql", str(lake), statement])
        assert r.exit_code == 1 and f"only reads: the {word} statement is refused (the lake is evidence" in r.output
    assert sorted((p, p.stat().st_mtime_ns) for p in lake.rglob("*") if p.is_file()) == before
    (tmp_path / "other.csv").write_text("a\n1\n")
    r = runner.invoke(main, ["lake", "sql", str(lake), f"SELECT * FROM read_csv('{tmp_path / 'other.csv'}')"])
    assert r.exit_code == 1 and "file system operations are disabled" in r.output
    r = runner.invoke(main, ["lake", "sql", "s3://some-bucket/lake", "SELECT 1"])
    assert r.exit_code == 1 and "reads a lake on a local path or NFS" in r.output
    r = runner.invoke(main, ["lake", "sql", str(tmp_path / "empty"), "SELECT 1"])
    assert r.exit_code == 1 and "no file in the lake yet" in r.output


def test_a_rerun_after_an_interrupted_one_with_another_split_adds_no_duplicate(direct, tmp_path, monkeypatch):
    """An ingest interrupted before the custody row, re-run with another split_mib:
    the counts of a direct ingest, and no part of the interrupted run is left or read."""
    import forensics.lake.ingest as lake_ingest
    from forensics.lake.query import lake_sql

    manifest, case_path = direct
    lake = tmp_path / "lake"
    config = load_config()
    config["lake"]["split_mib"] = 0.2

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(lake_ingest, "_write_source", interrupted)
        with pytest.raises(KeyboardInterrupt):
            ingest_to_lake(str(lake), [str(manifest.access_log)], config=config)
    left = sorted(p.name for p in lake.rglob("*.parquet"))
    assert len([n for n in left if "-p0000" in n and n.endswith(".parquet")]) >= 2 and not (lake / "sources").exists()
    first_run = {n.split("-")[1] for n in left}
    config["lake"]["split_mib"] = 0.35
    report = ingest_to_lake(str(lake), [str(manifest.access_log)], config=config)
    (result,) = report.results
    assert result.status == "ingested" and 1 < result.parts < 11
    sha = result.sha256
    # Nothing of the interrupted run is left: every Parquet file in the lake is the new run's.
    assert not {p.name.split("-")[1] for p in lake.rglob("*.parquet") if p.parent.name != "sources"} & first_run
    assert _lake_counts(lake) == {sha: _direct_counts(case_path)[sha]}
    events, rejects = lake_sql(str(lake), "SELECT (SELECT count(*) FROM events), (SELECT count(*) FROM rejects)"
                               ).iloc[0].tolist()
    assert (events, rejects) == _direct_counts(case_path)[sha][4:]


def test_parts_of_an_interrupted_run_are_never_read(direct, tmp_path, monkeypatch):
    """Should an interrupted run's parts stay (their removal failed), `lake sql` and
    `lake pull` read only the parts of the run each file's custody row names."""
    import forensics.lake.ingest as lake_ingest
    from forensics.lake.query import lake_sql
    from forensics.lake.store import Lake

    manifest, case_path = direct
    lake = tmp_path / "lake"
    config = load_config()
    config["lake"]["split_mib"] = 0.2
    inputs = [str(manifest.panel_log), str(manifest.access_log)]

    def interrupted(*args, **kwargs):
        raise KeyboardInterrupt

    with monkeypatch.context() as patch:
        patch.setattr(lake_ingest, "_write_source", interrupted)
        with pytest.raises(KeyboardInterrupt):
            ingest_to_lake(str(lake), inputs, config=config)
    first_run = {p.name.split("-")[1] for p in lake.rglob("*.parquet")}
    config["lake"]["split_mib"] = 0.35
    monkeypatch.setattr(Lake, "parts_of", lambda self, sha: [])
    report = ingest_to_lake(str(lake), inputs, config=config)
    assert [r.status for r in report.results] == ["ingested", "ingested"]
    assert {p.name.split("-")[1] for p in lake.rglob("*.parquet") if p.parent.name != "sources"} & first_run
    direct_counts = _direct_counts(case_path)
    got = dict(lake_sql(str(lake), "SELECT source_sha256, count(*) FROM events GROUP BY ALL").values.tolist())
    assert got == {r.sha256: direct_counts[r.sha256][4] for r in report.results}
    pulled = pull_case(str(lake), tmp_path / "k.duckdb", manifest.disputes[0].account)
    assert pulled.files_read and not any(f"-{run}-" in f for f in pulled.files_read for run in first_run)


def test_an_unknown_format_is_refused_before_anything_runs(tmp_path, direct):
    manifest, _ = direct
    lake = tmp_path / "lake"
    with pytest.raises(ForensicsError, match="^unknown format 'nosuchformat'; known formats: panel-jsonl"):
        ingest_to_lake(str(lake), [str(manifest.auth_log)], format_name="nosuchformat")
    # per file, too (a --files-from line's own --format)
    with pytest.raises(ForensicsError, match="^unknown format 'nosuch'"):
        ingest_to_lake(str(lake), [str(manifest.panel_log), (str(manifest.auth_log), {"format": "nosuch"})])
    assert not lake.exists()
