"""WHMCS from MySQL dumps (tblactivitylog, tbladminlog) and the module
commands of the activity log.

Real rows: the public WHMCS dump in
../shared/realdata/formats/samples/whmcs/tblactivitylog.public-dump.sql (29
rows of tblactivitylog in one extended INSERT) and the tbladminlog rows of a
public dump on GitHub (code-search index id 14961485147).  A dump written with
`mysqldump --skip-extended-insert` holds the same rows one per line; the test
writes them that way from the real dump's values.
"""

from __future__ import annotations

import pytest

from forensics.case import Case
from forensics.ingest.engine import ingest_files
from forensics.ingest.formats.sqldump import SqlSyntaxError, parse_insert

from conftest import REALDATA

DUMP = REALDATA / "formats/samples/whmcs/tblactivitylog.public-dump.sql"
needs_dump = pytest.mark.skipif(not DUMP.exists(), reason="needs ../shared/realdata (WHMCS dump)")


def sql_literal(value):
    if value is None:
        return "NULL"
    if value.lstrip("-").isdigit():
        return value
    return "'" + value.replace("\\", "\\\\").replace("'", "\\'") + "'"


def test_parse_insert_reads_mysql_literals():
    table, columns, rows = parse_insert(
        "INSERT INTO `t` (`a`, `b`, `c`, `d`) VALUES (1,'it''s \\'quoted\\'\\n',NULL,'a,b)(c');")
    assert (table, columns) == ("t", ["a", "b", "c", "d"])
    assert rows == [["1", "it's 'quoted'\n", None, "a,b)(c"]]
    assert parse_insert("CREATE TABLE `t` (") is None
    with pytest.raises(SqlSyntaxError, match="not closed"):
        parse_insert("INSERT INTO `t` VALUES (1,'cut off")


@needs_dump
def test_extended_insert_dump_is_detected_and_every_line_accounted_for(tmp_path):
    with Case.open(tmp_path / "c.duckdb") as case:
        report = ingest_files(case, [str(DUMP)], tz="Europe/London")
        result = report.results[0]
        assert result.format == "whmcs-activity-sql"
        assert result.events_parsed == 0 and result.lines_rejected + result.lines_blank == result.lines_read
        reasons = [r[0] for r in case.con.execute("SELECT reason FROM rejects ORDER BY line_no").fetchall()]
    assert any(r.startswith("an extended INSERT with 29 rows on one line") for r in reasons)


@needs_dump
def test_one_row_per_line_dump(tmp_path):
    lines = DUMP.read_text().splitlines()
    _, _, rows = parse_insert(next(l for l in lines if l.startswith("INSERT INTO `tblactivitylog`")))
    ddl = [l for l in lines if not l.startswith("INSERT")]
    dump = tmp_path / "whmcs.sql"
    dump.write_text("\n".join(ddl + [f"INSERT INTO `tblactivitylog` VALUES ({','.join(sql_literal(v) for v in row)});"
                                     for row in rows]) + "\n")
    with Case.open(tmp_path / "c.duckdb") as case:
        report = ingest_files(case, [str(dump)], tz="Europe/London")
        assert report.results[0].format == "whmcs-activity-sql"
        assert report.results[0].events_parsed == 29
        assert report.results[0].lines_rejected == len(ddl)
        got = case.con.execute(
            "SELECT strftime(ts, '%Y-%m-%dT%H:%M:%S'), event, result, actor, \"user\", "
            "json_extract_string(detail, '$.record_id') FROM events ORDER BY line_no").fetchall()
    assert got[0] == ("2016-12-09T09:35:01", "cron", None, "system", "System", "1")   # GMT in December
    assert got[28][1:4] == ("notification_sent", "failure", "system")


def test_admin_log_sql_rows(tmp_path):
    dump = tmp_path / "tbladminlog.sql"
    dump.write_text(
        "-- Dumping data for table `tbladminlog`\n"
        "LOCK TABLES `tbladminlog` WRITE;\n"
        "INSERT INTO `tbladminlog` VALUES (1,'admin','2022-02-19 05:02:33','0000-00-00 00:00:00','91.96.93.36','aov4mluaj8rnvlndurg2lpn179','2022-02-19 05:02:33');\n"
        "INSERT INTO `tbladminlog` VALUES (2,'admin','2022-02-19 05:03:42','0000-00-00 00:00:00','92.106.151.87','3m93lvt7o4q383i364fv89i94u','2022-02-19 05:03:42');\n"
        "UNLOCK TABLES;\n")
    with Case.open(tmp_path / "c.duckdb") as case:
        report = ingest_files(case, [str(dump)], tz="Europe/Berlin")
        assert report.results[0].format == "whmcs-admin-log-sql"
        got = case.con.execute("SELECT line_no, strftime(ts, '%Y-%m-%dT%H:%M:%S'), event, actor, \"user\", ip, session "
                               "FROM events ORDER BY line_no").fetchall()
    assert got == [
        (3, "2022-02-19T04:02:33", "login", "staff", "admin", "91.96.93.36", "aov4mluaj8rnvlndurg2lpn179"),
        (4, "2022-02-19T04:03:42", "login", "staff", "admin", "92.106.151.87", "3m93lvt7o4q383i364fv89i94u"),
    ]
