"""The notices investigation on generated variants of one story, written as
real files (native panel log, Postfix mail.log, native contact export) and
ingested: every notice's outcome, the address on record, the waits against
the promise, and the classification of the customer's claims."""

from __future__ import annotations

import datetime as dt
import json
import random

import jsonschema
import pytest
from referencing import Registry, Resource

from forensics.case import Case
from forensics.investigate.notices import investigate_notices
from forensics.investigate.notices.claims import parse_notice_claim
from forensics.resources import package_dir

UTC = dt.timezone.utc
T0 = dt.datetime(2026, 2, 2, 9, 0, tzinfo=UTC)
OLD, NEW = "kunde@old.example.de", "kunde@example.net"
MONTHS = ("Jan", "Feb", "Mar", "Apr", "May", "Jun", "Jul", "Aug", "Sep", "Oct", "Nov", "Dec")


def at(days, hours=0.0):
    return T0 + dt.timedelta(days=days, hours=hours)


class Story:
    """Panel, mail and ticket lines of one account over 40 days."""

    def __init__(self):
        self.panel, self.mail, self.tickets = [], [], []
        self.rng = random.Random(5)
        self.n = 0

    def p(self, when, event, **kw):
        self.panel.append((when, json.dumps({"ts": when.isoformat(), "account": "K-1", "event": event, **kw})))

    def t(self, when, **kw):
        self.tickets.append((when, json.dumps({"ts": when.isoformat(), **kw})))

    def m(self, when, text):
        self.mail.append((when, f"{MONTHS[when.month - 1]} {when.day:>2} {when:%H:%M:%S} mx postfix/{text}"))

    def message(self, when, rcpt, mid, fate):
        self.n += 1
        q = f"{0xA0000 + self.n:X}{self.n:05X}"
        self.m(when, f"cleanup[11]: {q}: message-id={mid}")
        self.m(when, f"qmgr[12]: {q}: from=<noreply@example.com>, size=3100, nrcpt=1 (queue active)")
        later = when + dt.timedelta(seconds=2)
        if fate == "sent":
            self.m(later, f"smtp[13]: {q}: to=<{rcpt}>, relay=mx.example.net[203.0.113.5]:25, delay=2, "
                          f"delays=0.1/0/1/0.9, dsn=2.0.0, status=sent (250 2.0.0 Ok: queued as 9F{self.n:06X})")
        elif fate == "bounced":
            self.m(later, f"smtp[13]: {q}: to=<{rcpt}>, relay=mx.old.example.de[192.0.2.7]:25, delay=2, "
                          f"delays=0.1/0/1/0.9, dsn=5.1.1, status=bounced (host mx.old.example.de[192.0.2.7] said: "
                          f"550 5.1.1 <{rcpt}>: Recipient address rejected: User unknown (in reply to RCPT TO command))")
        self.m(later, f"qmgr[12]: {q}: removed")

    def write(self, tmp_path, *, mail=True, tickets=True):
        # background: an unrelated message and ticket every 12 hours, so both logs cover the time
        for h in range(0, 40 * 24, 12):
            when = at(0, h + 0.5)
            if mail:
                self.message(when, f"other{h}@example.org", f"<bg{h}@example.com>", "sent")
            if tickets:
                self.t(when, account="K-9", ticket=f"T-{h}", direction="in", channel="email",
                       from_role="customer", to_role="staff", subject="other")
        files = []
        for name, lines, on in (("panel.jsonl", self.panel, True), ("mail.log", self.mail, mail),
                                ("tickets.jsonl", self.tickets, tickets)):
            if on and lines:
                path = tmp_path / name
                path.write_text("\n".join(line for _, line in sorted(lines, key=lambda x: x[0])) + "\n")
                files.append(path)
        return files


def story(*, notices=("sent", "sent", "sent", "sent"), first_to=NEW, call="voicemail", docs_reply_days=0.2,
          sent_to_old_accepted=False):
    s = Story()
    s.p(at(0), "email_change", user="kunde", detail={"old": OLD, "new": NEW})
    for i, fate in enumerate(notices):
        if fate is None:
            continue
        when = at(2 + 5 * i)
        rcpt = first_to if i == 0 else NEW
        mid = f"<notice-{i}@panel.example.com>"
        s.p(when, "notification_sent", actor="system", user="verify", target="kunde.example",
            detail={"template": "registrant_verification", "to": rcpt, "message_id": mid})
        s.message(when + dt.timedelta(seconds=1), rcpt, mid,
                  "sent" if sent_to_old_accepted and rcpt == OLD else fate)
    if call:
        s.t(at(14), account="K-1", ticket="T-1", direction="out", channel="phone", from_role="staff",
            to_role="customer", to="+49 171 000", staff="mk", outcome=call)
    s.p(at(21), "domain_block", actor="system", user="verify", target="kunde.example")
    s.t(at(21, 3), account="K-1", ticket="T-1", direction="in", channel="email", from_role="customer",
        to_role="staff", subject="blocked?")
    s.t(at(21, 5), account="K-1", ticket="T-1", direction="out", channel="email", from_role="staff",
        to_role="customer", to=NEW, staff="mk", message_id="<r1@support.example.com>")
    s.message(at(21, 5), NEW, "<r1@support.example.com>", "sent")
    s.t(at(23), account="K-1", ticket="T-1", direction="in", channel="email", from_role="customer",
        to_role="staff", subject="documents")
    s.t(at(23) + dt.timedelta(seconds=5), account="K-1", ticket="T-1", direction="out", channel="email",
        from_role="system", to_role="customer", to=NEW, subject="automatic reply")
    s.t(at(23 + docs_reply_days), account="K-1", ticket="T-1", direction="out", channel="email",
        from_role="staff", to_role="customer", to=NEW, staff="mk", message_id="<r2@support.example.com>")
    s.message(at(23 + docs_reply_days), NEW, "<r2@support.example.com>", "sent")
    s.p(at(23 + docs_reply_days), "domain_unblock", actor="staff", user="mk", target="kunde.example")
    return s


CLAIMS = ["Niemand hat mich informiert", "nikdo mi nedal vědět", "nikt mnie nie poinformował",
          "Nobody told me my domain would be blocked", "Seit 8 Tagen keine Reaktion", "no answer for a week",
          "I never got an answer"]


def run(tmp_path, s, claims=CLAIMS, **write):
    case = Case.open(tmp_path / "case.duckdb")
    for f in s.write(tmp_path, **write):
        case.ingest([f], tz="UTC", year=2026)
    try:
        return investigate_notices(case, "K-1", claims=claims)
    finally:
        case.close()


def outcomes(inv):
    return [(c.channel, c.outcome) for c in inv.contacts if not c.routine]


def classes(inv):
    return {c.text: c.classification for c in inv.claims}


def test_all_delivered(tmp_path):
    inv = run(tmp_path, story())
    assert outcomes(inv)[:5] == [("email", "delivered")] * 3 + [("phone", "voicemail"), ("email", "delivered")]
    first = inv.contacts[0]
    assert first.on_record is True and first.address_on_record == NEW
    assert first.trace.matched_by == "message_id" and first.trace.final.reply.startswith("250 2.0.0 Ok")
    assert first.trace.final.ref.path.endswith("mail.log") and first.trace.final.dsn == "2.0.0"
    c = classes(inv)
    for text in CLAIMS[:4]:
        assert c[text] == "contradicted", text
    assert c["Seit 8 Tagen keine Reaktion"] == "contradicted"
    assert c["I never got an answer"] == "contradicted"
    block = inv.actions[0]
    assert block.event == "domain_block" and len(block.warnings) == 5 and not block.release
    assert [m.within_promise for m in inv.customer_messages] == [True, True]
    assert inv.customer_messages[1].first_response_hours == pytest.approx(4.8, abs=0.01)   # the auto-reply does not count


def test_one_bounced_to_an_address_no_longer_on_record(tmp_path):
    inv = run(tmp_path, story(notices=("bounced", "sent", "sent", "sent"), first_to=OLD))
    assert outcomes(inv)[:4] == [("email", "bounced"), ("email", "delivered"), ("email", "delivered"),
                                 ("phone", "voicemail")]
    first = inv.contacts[0]
    assert first.on_record is False and first.address_on_record == NEW and first.recipient == OLD
    assert "550 5.1.1" in first.trace.final.reply and first.trace.final.dsn == "5.1.1"
    assert classes(inv)["Niemand hat mich informiert"] == "contradicted"
    assert any("not on record" in str(f) for f in inv.key_facts)


def test_none_sent(tmp_path):
    inv = run(tmp_path, story(notices=(None, None, None, None), call=None))
    assert outcomes(inv)[:1] == [("email", "delivered")]          # only the replies after the block
    assert inv.actions[0].warnings == []
    c = classes(inv)
    for text in CLAIMS[:4]:
        assert c[text] == "supported", text


def test_all_bounced(tmp_path):
    inv = run(tmp_path, story(notices=("bounced",) * 4, call="no_answer"))
    assert [o for _, o in outcomes(inv)[:5]] == ["bounced", "bounced", "bounced", "no_answer", "bounced"]
    assert classes(inv)["Niemand hat mich informiert"] == "supported"


def test_only_the_old_address_accepted_is_partly(tmp_path):
    inv = run(tmp_path, story(notices=("sent", None, None, None), first_to=OLD, sent_to_old_accepted=True,
                              call=None))
    assert inv.contacts[0].outcome == "delivered" and inv.contacts[0].on_record is False
    assert classes(inv)["Nobody told me my domain would be blocked"] == "partly"


def test_replies_late(tmp_path):
    inv = run(tmp_path, story(docs_reply_days=9.0),
              claims=["Seit 8 Tagen keine Reaktion", "no answer for two weeks", "I never got an answer",
                      "Niemand hat mich informiert"])
    docs = inv.customer_messages[1]
    assert docs.first_response_hours == pytest.approx(216.0) and docs.within_promise is False
    assert docs.resolution_hours == pytest.approx(216.0)
    c = classes(inv)
    assert c["Seit 8 Tagen keine Reaktion"] == "supported"
    assert c["no answer for two weeks"] == "partly"
    assert c["I never got an answer"] == "partly"
    assert c["Niemand hat mich informiert"] == "contradicted"


def test_not_covered_without_mail_and_ticket_logs(tmp_path):
    inv = run(tmp_path, story(notices=(None, None, None, None), call=None), mail=False, tickets=False)
    c = classes(inv)
    assert c["Niemand hat mich informiert"] == "not_covered"
    assert c["Seit 8 Tagen keine Reaktion"] == "not_covered"
    assert any("no mail log" in str(n) for n in inv.notes)


def test_claim_parsing_four_languages():
    assert parse_notice_claim("Seit 8 Tagen keine Reaktion") == {"kind": "no_response", "language": "de",
                                                                 "days": 8.0, "dates": []}
    assert parse_notice_claim("no answer for a week")["days"] == 7.0
    assert parse_notice_claim("nikdo mi nedal vědět")["kind"] == "not_informed"
    assert parse_notice_claim("nikdo mi nedal vědět")["language"] == "cs"
    assert parse_notice_claim("nikt mnie nie poinformował")["language"] == "pl"
    assert parse_notice_claim("Od tygodnia brak odpowiedzi")["kind"] == "no_response"
    assert parse_notice_claim("Už osm dní žádná odpověď")["days"] == 8.0


def test_json_validates_against_the_schema(tmp_path):
    inv = run(tmp_path, story(notices=("bounced", "sent", "sent", "sent"), first_to=OLD))
    shared = json.loads((package_dir() / "investigate" / "investigation.schema.json").read_text())
    mine = json.loads((package_dir() / "investigate" / "notices" / "notices.schema.json").read_text())
    registry = Registry().with_resources([(shared["$id"], Resource.from_contents(shared)),
                                          (mine["$id"], Resource.from_contents(mine))])
    doc = json.loads(json.dumps(inv.to_dict()))
    jsonschema.Draft202012Validator(mine, registry=registry, format_checker=jsonschema.FormatChecker()).validate(doc)
    assert doc["contacts"][0]["trace"]["final"]["dsn"] == "5.1.1"


def test_schema_follows_the_model():
    import dataclasses

    from forensics.investigate.notices import model

    mine = json.loads((package_dir() / "investigate" / "notices" / "notices.schema.json").read_text())
    for cls in (model.NoticesInvestigation, model.ContactAttempt, model.MessageTrace, model.DeliveryAttempt,
                model.ProviderAction, model.CustomerMessage, model.AddressRecord, model.NoticeClaim):
        props = mine["$defs"][cls.__name__]["properties"]
        assert {f.name for f in dataclasses.fields(cls)} <= set(props), cls.__name__


def test_cli_investigate_and_report_take_dispute_notices(tmp_path):
    from click.testing import CliRunner

    from forensics.cli import main

    s = story(notices=("bounced", "sent", "sent", "sent"), first_to=OLD)
    case_path = tmp_path / "case.duckdb"
    with Case.open(case_path) as case:
        for f in s.write(tmp_path):
            case.ingest([f], tz="UTC", year=2026)
    runner = CliRunner()
    result = runner.invoke(main, ["investigate", str(case_path), "--account", "K-1", "--dispute", "notices",
                                  "--claim", "Niemand hat mich informiert", "--json"], catch_exceptions=False)
    assert result.exit_code == 0, result.output
    doc = json.loads(result.output)
    assert doc["kind"] == "notices" and doc["claims"][0]["classification"] == "contradicted"
    text = runner.invoke(main, ["investigate", str(case_path), "--account", "K-1", "--dispute", "notices"])
    assert text.exit_code == 0 and "bounced" in text.output and "NOT the address on record" in text.output
    wrong = runner.invoke(main, ["investigate", str(case_path), "--account", "K-1", "--dispute", "notices",
                                 "--action", "reinstall"])
    assert wrong.exit_code == 2 and "--action" in wrong.output
    bad = runner.invoke(main, ["investigate", str(case_path), "--account", "K-1", "--dispute", "outages"])
    assert bad.exit_code == 2
    missing = runner.invoke(main, ["investigate", str(case_path), "--account", "K-404", "--dispute", "notices"])
    assert missing.exit_code == 1 and "Traceback" not in missing.output and "K-404" in missing.output
