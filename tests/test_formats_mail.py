"""Mail logs and ticket exports on real lines: Postfix (msimerson/postfix-parser,
cuttlefish, fail2ban, the Linode guide), Exim (Exim's own test suite,
logstash-patterns-core) and the helpdesk formats.  Sources: tests/data/mail/SOURCE.md."""

from __future__ import annotations

import datetime as dt
import json
import os

import pytest

from conftest import REALDATA, TESTDATA

UTC = dt.timezone.utc
MAIL = TESTDATA / "mail"


def ingest(case, path, **kw):
    report = case.ingest([path], **kw)
    return report


def rows(case, path_suffix):
    frame = case.sql_df(
        "SELECT e.*, s.path AS file FROM events e JOIN sources s USING (source_id) "
        "WHERE s.path LIKE $p ORDER BY line_no", {"p": f"%{path_suffix}"})
    out = {}
    for r in frame.to_dict("records"):
        r["detail"] = json.loads(r["detail"]) if isinstance(r["detail"], str) else {}
        out[int(r["line_no"])] = r
    return out


def utc(*args):
    return dt.datetime(*args, tzinfo=UTC)


def test_postfix_public_lines(new_case):
    new_case.ingest([MAIL / "postfix-public.log"], tz="UTC", year=2015)
    src = new_case.sources().iloc[0]
    assert src["format"] == "postfix" and src["source_kind"] == "mail"
    assert (src["events_parsed"], src["lines_rejected"]) == (12, 0)
    r = rows(new_case, "postfix-public.log")
    # cleanup: the Message-ID of queue id 3mPVKl0Mhjz7sXv
    assert r[1]["event"] == "mail_message_id" and r[1]["session"] == "3mPVKl0Mhjz7sXv"
    assert r[1]["detail"]["message_id"] == "E1ZB06G-0006n5-Vp@anc-dev-web1.slc.example.net"
    assert r[1]["ts"].to_pydatetime() == utc(2015, 7, 5, 6, 52, 11)
    # smtp: delivered, with the remote server's words
    d = r[3]
    assert (d["event"], d["result"], d["session"], d["target"], d["host"]) == (
        "mail_delivery", "success", "3mPVKl0Mhjz7sXv", "56597@continuity.delivery", "prd-mx1")
    assert d["detail"]["dsn"] == "2.0.0" and d["detail"]["delivery_status"] == "sent"
    assert d["detail"]["relay_host"] == "10.2.2.85" and d["detail"]["relay_port"] == "2527"
    assert d["detail"]["reply"] == "250 2.0.0 Ok: queued as 3mPVKl3YVXz2pS5Z"
    # deferred (451) and bounced (550 5.1.1) to the same queue id
    assert r[6]["detail"]["delivery_status"] == "deferred" and r[6]["result"] != r[6]["result"]  # NULL
    # the lines are collected from several logs: going back from Nov to Apr is a year roll-over
    assert r[6]["detail"]["dsn"] == "4.3.0" and r[6]["ts"].to_pydatetime() == utc(2016, 4, 5, 16, 41, 54)
    b = r[9]
    assert (b["result"], b["target"], b["detail"]["dsn"], b["detail"]["relay_host"]) == (
        "failure", "anincorrectemailaddress@openaustralia.org", "5.1.1", "aspmx.l.google.com")
    assert b["detail"]["reply"].startswith("host aspmx.l.google.com[173.194.79.27] said: 550-5.1.1 The email account")
    # relay=none: no server answered
    assert r[11]["detail"]["relay_host"] == "none" and r[11]["detail"]["program"] == "postfix/error"
    # an smtpd line without queue id and the master's line are kept as mail_other
    assert r[8]["event"] == "mail_other" and r[10]["event"] == "mail_other"
    # inbound rejection
    assert (r[12]["event"], r[12]["ip"], r[12]["target"]) == ("mail_reject", "192.0.2.1", "sales@server.com")


def test_postfix_linode_chain(new_case):
    path = REALDATA / "formats/samples/postfix/mail.log.linode-docs.log"
    if not path.is_file():
        pytest.skip(f"{path} not present (CC BY-ND sample, not vendored)")
    new_case.ingest([path], tz="UTC", year=2025)
    r = rows(new_case, "mail.log.linode-docs.log")
    assert [r[i]["event"] for i in (1, 2, 3)] == ["mail_sender", "mail_delivery", "mail_removed"]
    assert {r[i]["session"] for i in (1, 2, 3)} == {"AA10A2839B"}
    assert r[1]["user"] == "email1@example.com" and r[1]["detail"]["size"] == "920"
    assert r[2]["target"] == "support@linode.com" and r[2]["detail"]["relay_ip"] == "96.126.108.55"
    assert r[2]["ts"].to_pydatetime() == utc(2025, 3, 22, 18, 20, 29)


def test_exim_testsuite(new_case):
    new_case.ingest([MAIL / "exim-testsuite.mainlog"], tz="Europe/London")
    src = new_case.sources().iloc[0]
    assert src["format"] == "exim"
    assert (src["events_parsed"], src["lines_rejected"]) == (21, 0)
    r = rows(new_case, "exim-testsuite.mainlog")
    # 1999-03-02 09:44:33 in London (GMT in March) is 09:44:33 UTC
    assert r[1]["ts"].to_pydatetime() == utc(1999, 3, 2, 9, 44, 33)
    assert (r[1]["event"], r[1]["session"], r[1]["user"]) == ("mail_received", "10HmaX-000000005vi-0000",
                                                             "CALLER@myhost.test.ex")
    assert r[3]["detail"]["delivery_status"] == "deferred" and r[3]["detail"]["defer_code"] == "-45"
    assert r[3]["detail"]["reply"].endswith("450 DELAY")
    assert (r[7]["event"], r[7]["result"], r[7]["target"], r[7]["detail"]["reply"]) == (
        "mail_delivery", "failure", "userx@x.y", "retry timeout exceeded")
    assert r[8]["event"] == "mail_bounce_notice" and r[8]["detail"]["parent_queue_id"] == "10HmaX-000000005vi-0000"
    assert r[11]["event"] == "mail_removed" and r[12]["event"] == "mail_other"
    d = r[14]
    assert (d["result"], d["target"], d["detail"]["orig_to"], d["detail"]["reply"], d["detail"]["relay_ip"]) == (
        "success", "userx@test.ex", "Userx-S@Test.Ex", "250 OK", "127.0.0.1")
    assert r[21]["detail"]["reply"].endswith("550 Recipient refused") and r[21]["result"] == "failure"


def test_exim_logstash_arrivals(new_case):
    new_case.ingest([MAIL / "exim-logstash.mainlog"], tz="UTC")
    r = rows(new_case, "exim-logstash.mainlog")
    assert r[1]["detail"]["message_id"] == "f828ca60127d8646a0fa75cbf8db9ba3@dwarf.fict.example"
    assert r[1]["ts"].to_pydatetime() == utc(1995, 10, 31, 8, 57, 53)
    assert r[2]["detail"]["subject"] == "Daily List: Chameleon" and r[2]["session"] == "1Ov4tU-0000Nz-Rm"
    assert r[3]["user"] == "root@example.com"
    assert r[4]["detail"]["reply"] == "No such person at this address."
    sources = new_case.sources().iloc[0]
    assert "UTC" in sources["tz_decision"]


def test_mail_formats_do_not_claim_other_logs(realdata):
    from forensics.ingest.declarative import builtin_definitions

    by_name = {f.name: f for f in builtin_definitions()}
    auth = (realdata / "fail2ban/logs/sshd").read_text(encoding="utf-8", errors="replace").splitlines()
    lines = [l for l in auth if l.strip() and not l.startswith("#")][:40]
    for name in ("postfix", "exim", "contacts-jsonl", "contacts-csv", "whmcs-tickets-csv", "whmcs-ticketreplies-csv"):
        assert not by_name[name].sniff(lines), name


def test_contacts_export_and_whmcs(tmp_path, new_case):
    export = tmp_path / "contacts.jsonl"
    export.write_text(
        '{"ts":"2026-02-24T09:15:00+01:00","account":"K-1","ticket":"T-1","direction":"out","channel":"email",'
        '"from_role":"system","to_role":"customer","to":"a@example.net","message_id":"<n1@example.net>"}\n'
        '{"ts":"2026-03-03T10:02:00+00:00","account":"K-1","ticket":"T-1","direction":"out","channel":"phone",'
        '"from_role":"staff","to_role":"customer","to":"+420 601 234 567","staff":"mk","outcome":"voicemail"}\n',
        encoding="utf-8")
    new_case.ingest([export])
    r = rows(new_case, "contacts.jsonl")
    assert new_case.sources().iloc[0]["format"] == "contacts-jsonl"
    assert r[1]["ts"].to_pydatetime() == utc(2026, 2, 24, 8, 15)
    assert (r[1]["event"], r[1]["account"], r[1]["target"], r[1]["actor"]) == ("contact", "K-1", "T-1", "system")
    assert r[1]["detail"]["message_id"] == "<n1@example.net>" and r[2]["detail"]["outcome"] == "voicemail"
    replies = tmp_path / "tblticketreplies.csv"
    replies.write_text(
        "id,tid,userid,contactid,name,email,date,message,admin,attachment,attachments_removed,rating,editor\n"
        '5120,77,0,0,"","","2026-03-26 14:05:09","Accepted.","Martina Krause","",0,0,"plain"\n', encoding="utf-8")
    new_case.ingest([replies], tz="Europe/Prague")
    r = rows(new_case, "tblticketreplies.csv")
    assert new_case.sources().iloc[1]["format"] == "whmcs-ticketreplies-csv"
    assert r[2]["ts"].to_pydatetime() == utc(2026, 3, 26, 13, 5, 9)     # CET +01:00
    assert (r[2]["actor"], r[2]["target"], r[2]["detail"]["direction"]) == ("staff", "77", "out")
