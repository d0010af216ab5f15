"""The case argument is a case, and custody records describe the bytes (issue 11, items 6 and 7)."""

from __future__ import annotations

import gzip
import hashlib
import json
import shutil

import pytest
from click.testing import CliRunner
from test_formats_declarative import MINIMAL, write  # the declarative tests' door-log definition and its writer

from forensics.case import Case
from forensics.cli import main
from forensics.errors import ForensicsError
from forensics.ingest import reader as reader_module
from forensics.ingest.engine import ingest_files


@pytest.fixture
def access_log(realdata, tmp_path):
    """The first 200 lines of a real access log."""
    lines = (realdata / "access" / "elastic-examples" / "apache_logs").read_bytes().split(b"\n")[:200]
    path = tmp_path / "access.log"
    path.write_bytes(b"\n".join(lines) + b"\n")
    return path


def _no_bug(output: str) -> None:
    assert "bug" not in output and "internal error" not in output and "Traceback" not in output


# -- item 6: the case comes first ------------------------------------------------

def test_a_log_given_as_case_is_refused_and_left_alone(access_log, tmp_path):
    panel = tmp_path / "panel.jsonl"
    panel.write_text(json.dumps({"ts": "2026-03-01T00:00:00+00:00", "account": "K-1", "event": "login",
                                 "user": "bob", "ip": "203.0.113.5"}) + "\n")
    before = panel.read_bytes()
    result = CliRunner().invoke(main, ["ingest", str(panel), str(access_log)])
    assert result.exit_code == 1
    assert result.output == (f"Error: {panel} looks like a log file; the case file comes first: forensics "
                             f"ingest CASE.duckdb {panel} ... (it exists and is not a DuckDB database)\n")
    assert panel.read_bytes() == before
    _no_bug(result.output)


def test_swapped_arguments_name_the_log_not_the_missing_case(access_log, tmp_path):
    """`forensics ingest auth.log new.duckdb`: the log is named as the mistake, not the case as a missing log."""
    case = tmp_path / "new.duckdb"
    result = CliRunner().invoke(main, ["ingest", str(access_log), str(case)])
    assert result.exit_code == 1
    assert result.output.startswith(f"Error: {access_log} looks like a log file; the case file comes first")
    assert not case.exists()
    _no_bug(result.output)


@pytest.mark.parametrize("name", ["auth.log", "auth.log.1", "auth.log.2.gz", "access.log.bz2", "panel.csv",
                                  "events.jsonl", "messages"])
def test_a_new_case_with_a_log_name_is_refused(tmp_path, access_log, name):
    result = CliRunner().invoke(main, ["ingest", str(tmp_path / name), str(access_log)])
    assert result.exit_code == 1
    assert "looks like a log file; the case file comes first" in result.output
    assert not (tmp_path / name).exists()


def test_an_existing_file_that_is_not_duckdb_is_refused_whatever_its_name(tmp_path, access_log):
    odd = tmp_path / "dispute.case"
    shutil.copyfile(access_log, odd)
    with pytest.raises(ForensicsError, match="looks like a log file; the case file comes first"):
        Case.open(odd)
    real = tmp_path / "dispute.duckdb"
    ingest_files(real, [access_log])
    with Case.open(real, read_only=True) as case:      # a real case still opens
        assert len(case.sources()) == 1


# -- item 7: custody records that are true ---------------------------------------

def test_size_and_hash_come_from_the_same_read_and_a_growing_file_is_refused(access_log, tmp_path, monkeypatch):
    original_stored = reader_module.SourceReader._stored_blocks

    more = b'192.0.2.1 - - [20/May/2015:21:05:00 +0000] "GET / HTTP/1.1" 200 1 "-" "x"\n'

    def growing(self, size):
        for n, block in enumerate(original_stored(self, size)):
            if n == 0 and self.chunk_bytes == 4096:   # the ingest's read, not detection's
                with open(self.path, "ab") as fh:     # the log is still being written to
                    fh.write(more)
            yield block

    monkeypatch.setattr(reader_module.SourceReader, "_stored_blocks", growing)
    size = access_log.stat().st_size
    result = ingest_files(tmp_path / "case.duckdb", [access_log], chunk_bytes=4096).results[0]
    assert result.status == "changed" and not result.ok
    assert result.problem.startswith(f"the file changed while it was read ({size:,} bytes when opened, "
                                     f"{size + len(more):,} bytes read and hashed)")
    with Case.open(tmp_path / "case.duckdb", read_only=True) as case:
        assert len(case.sources()) == 0 and len(case.events()) == 0


def test_recorded_size_is_the_size_that_was_hashed(access_log, tmp_path):
    ingest_files(tmp_path / "case.duckdb", [access_log])
    with Case.open(tmp_path / "case.duckdb", read_only=True) as case:
        src = case.sources().iloc[0]
    data = access_log.read_bytes()
    assert (src.size_bytes, src.sha256, src.content_sha256) == (
        len(data), hashlib.sha256(data).hexdigest(), hashlib.sha256(data).hexdigest())


def test_the_same_log_plain_and_compressed_is_one_log(access_log, tmp_path):
    packed = tmp_path / "access.log.1.gz"
    packed.write_bytes(gzip.compress(access_log.read_bytes()))
    report = ingest_files(tmp_path / "case.duckdb", [access_log, packed])
    plain, again = report.results
    assert plain.status == "ingested" and plain.events_parsed == 200
    assert (again.status, again.duplicate_of, again.duplicate_path) == ("duplicate", 1, str(access_log))
    assert again.summary() == (f"{packed}: the same log as source #1 ({access_log}): its decompressed "
                               "content has the same SHA-256; nothing added")
    with Case.open(tmp_path / "case.duckdb", read_only=True) as case:
        src = case.sources()
    assert len(src) == 1
    assert src.content_sha256[0] == hashlib.sha256(access_log.read_bytes()).hexdigest()


def test_an_empty_log_beside_its_rotated_file_is_a_recorded_empty_source(access_log, tmp_path):
    rotated = tmp_path / "access.log.1"
    shutil.copyfile(access_log, rotated)
    empty = tmp_path / "access.log.current"
    empty.write_bytes(b"")
    empty_too = tmp_path / "error.log"
    empty_too.write_bytes(b"")
    result = CliRunner().invoke(main, ["ingest", str(tmp_path / "case.duckdb"), str(empty), str(rotated),
                                       str(empty_too)])
    assert result.exit_code == 0, result.output
    _no_bug(result.output)
    with Case.open(tmp_path / "case.duckdb", read_only=True) as case:
        src = case.sources()
    assert list(src.format) == ["empty", "combined", "empty"]
    assert list(src.lines_read) == [0, 200, 0] and list(src.size_bytes) == [0, rotated.stat().st_size, 0]
    assert src.sha256[0] == src.sha256[2] == hashlib.sha256(b"").hexdigest()   # both recorded


def test_a_gzip_whose_first_50_lines_are_blank_is_read(access_log, tmp_path):
    packed = tmp_path / "access.log.gz"
    packed.write_bytes(gzip.compress(b"\n" * 60 + access_log.read_bytes()))
    result = ingest_files(tmp_path / "case.duckdb", [packed]).results[0]
    assert (result.status, result.format) == ("ingested", "combined")
    assert (result.lines_read, result.events_parsed, result.lines_blank) == (260, 200, 60)


def test_a_utf8_bom_is_removed_and_recorded(access_log, tmp_path):
    bom = tmp_path / "bom.log"
    bom.write_bytes(b"\xef\xbb\xbf" + access_log.read_bytes())
    result = ingest_files(tmp_path / "case.duckdb", [bom]).results[0]
    assert (result.events_parsed, result.lines_rejected) == (200, 0)
    with Case.open(tmp_path / "case.duckdb", read_only=True) as case:
        ip = case.con.execute("SELECT ip FROM events WHERE line_no = 1").fetchone()[0]
        src = case.sources().iloc[0]
    assert ip == "83.149.9.216"
    assert src.encoding == "UTF-8 with BOM"
    assert any("byte-order mark: removed" in a for a in json.loads(src.assumptions))
    assert src.sha256 == hashlib.sha256(bom.read_bytes()).hexdigest()   # custody: the bytes as stored


@pytest.mark.parametrize("codec,bom", [("utf-16-le", b"\xff\xfe"), ("utf-16-be", b"\xfe\xff")])
def test_utf16_with_bom_is_decoded_and_recorded(access_log, tmp_path, codec, bom):
    wide = tmp_path / "wide.log"
    wide.write_bytes(bom + access_log.read_text(encoding="utf-8").encode(codec))
    result = ingest_files(tmp_path / "case.duckdb", [wide]).results[0]
    assert (result.format, result.events_parsed, result.lines_rejected) == ("combined", 200, 0)
    with Case.open(tmp_path / "case.duckdb", read_only=True) as case:
        raw = case.con.execute("SELECT raw FROM events WHERE line_no = 1").fetchone()[0]
        src = case.sources().iloc[0]
    assert raw == access_log.read_text().split("\n")[0]
    assert src.encoding == f"{codec.upper()} with BOM"
    assert any(f"The file is {codec.upper()} text" in a for a in json.loads(src.assumptions))


@pytest.mark.parametrize("name", ["combined", "syslog", "panel-jsonl"])
def test_a_user_definition_may_not_take_a_shipped_name(tmp_path, name):
    definition = write(tmp_path, MINIMAL.replace('name = "door-log"', f'name = "{name}"'), "mine.toml")
    log = tmp_path / "door.txt"
    log.write_text("2025-03-22 14:03:11 jdoe north OK\n")
    result = CliRunner().invoke(main, ["ingest", str(tmp_path / "case.duckdb"), str(log),
                                       "--format", str(definition)])
    assert result.exit_code == 1, result.output
    assert result.output == (f"Error: {definition}: the definition is named {name!r}, the name of a shipped "
                             "format; give it a name of its own, so that the case never records it as the "
                             "shipped one\n")
    assert not (tmp_path / "case.duckdb").exists()
    # Under a name of its own it is ingested.
    write(tmp_path, MINIMAL, "mine.toml")
    ok = CliRunner().invoke(main, ["ingest", str(tmp_path / "case.duckdb"), str(log), "--format", str(definition)])
    assert ok.exit_code == 0, ok.output
    with Case.open(tmp_path / "case.duckdb", read_only=True) as case:
        assert list(case.sources().format) == ["door-log"]
