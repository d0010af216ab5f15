"""Plesk's Action Log as the XML API's `<event_log>` answer (issue 12):
`forensics/ingest/formats/plesk_xml.py`.

The real sample is the answer printed in Plesk 12.5's API-RPC guide
("Retrieving Action Log Parts", Samples), kept in ../shared/realdata
(formats/samples/plesk/event_log_get_events_response.docs-12.5.xml; vendor
documentation without an open licence, so not vendored here: that test skips
without ../shared).  The other answers are written in the same documented
shape with made-up names and addresses.
"""

from __future__ import annotations

import json

import pytest

from forensics.case import Case
from forensics.ingest.engine import ingest_files
from forensics.ingest.formats.plesk_xml import PleskEventLogXml

ENDS = "the file ends inside it (or a chunk does, where the record could not be carried over)"
COLUMNS = ('line_no, CAST(ts AS VARCHAR), source_kind, event, result, "user", account, actor, ip, target, '
           'detail, raw')

WRITTEN = """<?xml version="1.0" encoding="UTF-8"?>
<packet version="1.6.9.1">
<event_log>
  <get_events>
    <result>
      <status>ok</status>
      <event>
        <id>4711</id>
        <type>created</type>
        <time>1742652191</time>
        <class>client</class>
        <obj_id>jnovak</obj_id>
        <user>admin</user>
        <host>198.51.100.7</host>
      </event>

      <event>
        <id>4712</id>
        <type>deleted</type>
        <time>1742656200</time>
        <class>domain</class>
        <obj_id>novak-shop.example</obj_id>
        <user>jnovak</user>
        <host>2a02:8108:1234::1</host>
      </event>
      <event><id>4713</id><type>updated</type><time>1742656260</time><class>mailname</class><obj_id>info&amp;sales@novak-shop.example</obj_id><user>jnovak</user><host>203.0.113.45</host></event>
      <event>
        <id>4714</id>
        <type>updated</type>
        <time>1742656300</time>
        <class>domain_owner</class>
        <obj_id>novak-shop.example</obj_id>
        <user>admin</user>
        <host>198.51.100.7</host>
      </event>
    </result>
  </get_events>
</event_log>
</packet>
"""


def _ingest(tmp_path, text, name="event_log.xml", **kwargs):
    (tmp_path / name).write_text(text)
    with Case.open(tmp_path / "c.duckdb") as case:
        report = ingest_files(case, [str(tmp_path / name)], **kwargs)
        events = case.con.execute(f"SELECT {COLUMNS} FROM events ORDER BY line_no").fetchall()
        rejects = case.con.execute("SELECT line_no, reason FROM rejects ORDER BY line_no").fetchall()
    return report.results[0], events, rejects


def _accounted(result, text):
    """Every line is an event, a reject or blank, and nothing twice."""
    lines = text.splitlines()
    assert result.lines_read == len(lines)
    assert result.events_parsed + result.lines_rejected + sum(not line.strip() for line in lines) == len(lines)


def test_the_answer_in_plesks_guide_is_detected_and_read(tmp_path, shared_realdata):
    text = (shared_realdata / "formats/samples/plesk/event_log_get_events_response.docs-12.5.xml").read_text()
    result, events, rejects = _ingest(tmp_path, text)
    assert (result.format, result.events_parsed) == ("plesk-event-log-xml", 2)
    _accounted(result, text)
    first, second = events
    # <time>1165055109</time> is a Unix time: 2006-12-02 10:25:09 UTC; the event sits on its <event> line
    assert first[:10] == (6, "2006-12-02 10:25:09+00", "panel", "plesk_action", "success", "myUser", "myUser",
                          None, "192.168.56.53", "Mysite.com")
    assert json.loads(first[10]) == {"record_id": "177", "type": "updated", "class": "dns_zone"}
    assert first[11].strip() == "<event>"
    assert second[:10] == (15, "2006-12-02 10:26:49+00", "panel", "plesk_action", "success", "myUser", "myUser",
                           None, "192.168.56.53", "mail@Mysite.com")
    assert json.loads(second[10])["class"] == "mailname"
    reasons = dict(rejects)
    assert reasons[7] == "line 2 of 9: part of the <event> record that starts at line 6, read into that event"
    assert reasons[14] == "line 9 of 9: part of the <event> record that starts at line 6, read into that event"
    assert reasons[1] == reasons[5] == "the XML envelope of the <event_log> answer (no action)"


def test_written_answer_events_and_accounting(tmp_path):
    result, events, rejects = _ingest(tmp_path, WRITTEN)
    assert (result.format, result.events_parsed) == ("plesk-event-log-xml", 4)
    _accounted(result, WRITTEN)
    created, deleted, one_line, owner = events
    # 1742652191 = 2025-03-22 14:03:11 UTC
    assert created[:10] == (7, "2025-03-22 14:03:11+00", "panel", "create", "success", "admin", "admin", "staff",
                            "198.51.100.7", "jnovak")
    assert deleted[:10] == (17, "2025-03-22 15:10:00+00", "panel", "destroy", "success", "jnovak", "jnovak", None,
                            "2a02:8108:1234::1", "novak-shop.example")
    # a record on one line is one event on that line; entities are read
    assert one_line[:10] == (26, "2025-03-22 15:11:00+00", "panel", "plesk_action", "success", "jnovak", "jnovak",
                             None, "203.0.113.45", "info&sales@novak-shop.example")
    assert owner[3] == "owner_change" and owner[9] == "novak-shop.example" and owner[0] == 27
    reasons = dict(rejects)
    assert 16 not in reasons             # the blank line between records is blank
    assert reasons[18].startswith("line 2 of 9: part of the <event> record that starts at line 17")


def test_broken_answers_are_rejects_that_say_why(tmp_path):
    text = (
        "<packet><event_log><get_events><result><status>ok</status>"
        "<event><id>1</id><type>created</type><time>1742652191</time><class>client</class><obj_id>a</obj_id>"
        "<user>admin</user><host>198.51.100.7</host></event>"
        "<event><id>2</id><type>deleted</type><time>1742652192</time><class>client</class><obj_id>a</obj_id>"
        "<user>admin</user><host>198.51.100.7</host></event></result></get_events></event_log></packet>\n"
        "<event>\n"
        "<id>3</id>\n"
        "<event>\n"
        "<id>4</id>\n"
        "<type>created</type>\n"
        "<time>yesterday</time>\n"
        "<class>client</class>\n"
        "</event>\n"
        "<result><status>error</status><errcode>1013</errcode><errtext>Object not found</errtext></result>\n"
        "<event>\n"
        "<id>5</id>\n"
    )
    result, events, rejects = _ingest(tmp_path, text, format_name="plesk-event-log-xml")
    assert events == []
    _accounted(result, text)
    reasons = dict(rejects)
    assert reasons[1].startswith("2 <event> records on one line: each record needs a line of its own")
    assert reasons[2] == "an <event> record that is not closed: a new record starts at line 4"
    assert reasons[3] == ("part of the <event> record that starts at line 2, which is not closed: "
                          "a new record starts at line 4")
    assert reasons[4] == "<time> is not a Unix time: 'yesterday'"
    assert reasons[9] == "line 6 of 6: part of the <event> record that starts at line 4 (rejected there)"
    assert reasons[10] == "the API answered with an error, not an action: error  1013  Object not found"
    assert reasons[11] == "an <event> record that is not closed: " + ENDS
    assert reasons[12].endswith("which is not closed: " + ENDS)


def _many_records(count: int) -> str:
    records = [f"""      <event>
        <id>{5000 + i}</id>
        <type>{("created", "updated", "deleted")[i % 3]}</type>
        <time>{1742652191 + 60 * i}</time>
        <class>{("client", "mailname", "domain")[i % 3]}</class>
        <obj_id>{"x" * (i % 7)}obj{i}</obj_id>
        <user>{("admin", "jnovak")[i % 2]}</user>
        <host>198.51.100.{i % 250}</host>
      </event>
""" + ("\n" * (i % 2)) for i in range(count)]
    return WRITTEN.replace("    </result>", "".join(records) + "    </result>")


@pytest.mark.parametrize("chunk_bytes", [1024, 1500, 2222, 4096])
def test_records_are_whole_across_chunk_boundaries(tmp_path, chunk_bytes):
    """Small chunks cut records anywhere: the events and rejects are those of one chunk."""
    from forensics.ingest.reader import SourceReader

    text = _many_records(80)
    (tmp_path / "one").mkdir()
    (tmp_path / "small").mkdir()
    whole = _ingest(tmp_path / "one", text)
    small = _ingest(tmp_path / "small", text, chunk_bytes=chunk_bytes)
    # the chunks do cut records: a chunk's last line is inside an <event> record
    lines = text.splitlines()
    starts = [c.first_line_no for c in SourceReader(tmp_path / "small" / "event_log.xml",
                                                     chunk_bytes=chunk_bytes).chunks()][1:]
    inside = [no for no in starts if lines[no - 1].strip() not in ("<event>", "")
              and lines[no - 2].strip() != "</event>"]
    assert len(starts) >= 2 and inside
    assert whole[0].events_parsed == 84
    assert small[1] == whole[1]
    assert small[2] == whole[2]
    assert (small[0].events_parsed, small[0].lines_rejected) == (84, whole[0].lines_rejected)


def test_a_record_cut_by_the_end_of_file_in_a_later_chunk(tmp_path):
    text = WRITTEN.split("</event_log>")[0].rsplit("      </event>", 1)[0]   # the last record loses its end
    result, events, rejects = _ingest(tmp_path, text, chunk_bytes=100, format_name="plesk-event-log-xml")
    assert [e[0] for e in events] == [7, 17, 26]
    _accounted(result, text)
    assert dict(rejects)[27] == "an <event> record that is not closed: " + ENDS


def test_detection_leaves_other_xml_and_logs_alone():
    fmt = PleskEventLogXml()
    assert fmt.sniff_score(["<?xml version='1.0'?>", "<rss>", "<event>", "<title>x</title>", "</event>"]) == 0
    assert fmt.sniff_score(["Mar 22 14:03:11 host sshd[1]: Accepted password for root from 1.2.3.4 port 22"]) == 0
    assert fmt.sniff_score(WRITTEN.splitlines()[:12]) == 12


def test_a_line_not_valid_utf8_is_not_carried_and_the_accounting_holds(tmp_path):
    """A chunk whose unfinished record holds a line that was not valid UTF-8 is
    not carried over (its bytes are attached chunk by chunk): that record is
    rejected as cut, every line is still accounted for, the bytes are kept."""
    text = _many_records(80)
    data = text.encode().replace(b"<obj_id>", b"<obj_id>\xff")     # every record has one such line
    (tmp_path / "event_log.xml").write_bytes(data)
    with Case.open(tmp_path / "c.duckdb") as case:
        report = ingest_files(case, [str(tmp_path / "event_log.xml")], chunk_bytes=1500,
                              format_name="plesk-event-log-xml")
        result = report.results[0]
        cut = case.con.execute("SELECT count(*) FROM rejects WHERE reason LIKE 'an <event> record that is not "
                               "closed: the file ends inside it%'").fetchall()[0][0]
        kept = case.con.execute("SELECT count(*) FROM events WHERE raw_bytes IS NOT NULL").fetchall()[0][0] + \
            case.con.execute("SELECT count(*) FROM rejects WHERE raw_bytes IS NOT NULL").fetchall()[0][0]
    lines = data.split(b"\n")[:-1]
    assert result.lines_read == len(lines)
    assert result.events_parsed + result.lines_rejected + sum(not line.strip() for line in lines) == len(lines)
    assert cut >= 1 and result.events_parsed == 84 - cut
    assert kept == data.count(b"\xff")          # every invalid line's bytes are kept
