"""The case-sensitive fast path for mysqldump's `INSERT INTO `t` ... VALUES (`
prefix (forensics/ingest/formats/sqldump.py) gives exactly what the general
regex gives, and leaves every other spelling to it."""

from __future__ import annotations

import pytest

from forensics.ingest.formats import sqldump

LINES = [
    "INSERT INTO `tblactivitylog` VALUES (1,'2016-12-09 09:35:01','Cron Job: Starting','System',0,'');",
    "INSERT INTO `tblactivitylog` (`id`, `date`, `description`, `user`, `userid`, `ipaddr`) VALUES "
    "(4711,'2025-03-22 15:03:11','Module Suspend Successful - Reason: Customer\\'s request','admin.jane',1001,'203.0.113.7');",
    "INSERT INTO `whmcs.tblactivitylog` VALUES (2,'2016-12-09 09:35:01','x','System',0,NULL);",
    "INSERT INTO `tbladminlog` VALUES (1,'admin','2016-12-09 09:35:01','0000-00-00 00:00:00','1.2.3.4','s','2016-12-09',1),(2,'b','c','d','e','f','g',2);",
    # spellings the fast path leaves to the regex
    "insert into `tblactivitylog` values (3,'2016-12-09 09:35:01','lower case','System',0,'');",
    "INSERT  INTO `tblactivitylog` VALUES (4,'2016-12-09 09:35:01','two blanks','System',0,'');",
    "  INSERT INTO `tblactivitylog` VALUES (5,'a','b','c',0,'');",
    "INSERT IGNORE INTO `tblactivitylog` VALUES (6,'a','b','c',0,'');",
    "INSERT INTO tblactivitylog VALUES (7,'a','b','c',0,'');",
    "INSERT INTO `db`.`tblactivitylog` VALUES (8,'a','b','c',0,'');",
    "INSERT INTO `tblactivitylog`(`id`) VALUES(9);",
    "INSERT INTO `bad-name` VALUES (10);",
    "INSERT INTO `` VALUES (11);",
    "INSERT INTO `tblactivitylog` VALUES",
    "INSERT INTO `tblactivitylog` (`id` VALUES (12);",
    "CREATE TABLE `tblactivitylog` (",
    "-- Dumping data for table `tblactivitylog`",
]


def _by_regex(line):
    m = sqldump._INSERT.match(line)
    return None if m is None else m.group("table", "columns", "values")


def _parse(line):
    try:
        return sqldump.parse_insert(line)
    except sqldump.SqlSyntaxError as exc:
        return ("SqlSyntaxError", str(exc))


@pytest.mark.parametrize("line", LINES)
def test_fast_prefix_agrees_with_the_regex(line, monkeypatch):
    fast = sqldump._fast_prefix(line)
    if fast is not None:
        assert fast == _by_regex(line)
    with_fast = _parse(line)
    monkeypatch.setattr(sqldump, "_fast_prefix", lambda line: None)
    assert _parse(line) == with_fast


def test_fast_prefix_takes_mysqldump_lines_and_leaves_the_rest():
    assert [sqldump._fast_prefix(line) is not None for line in LINES] == [True] * 4 + [False] * 13
    assert sqldump.parse_insert(LINES[1]) == (
        "tblactivitylog", ["id", "date", "description", "user", "userid", "ipaddr"],
        [["4711", "2025-03-22 15:03:11", "Module Suspend Successful - Reason: Customer's request", "admin.jane",
          "1001", "203.0.113.7"]])
