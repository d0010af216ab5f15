"""The customer's words about being told and being answered, reconciled.

Two kinds of claim (phrases in `claim_vocabulary.toml` `[notices.*]`, en/de/cs/pl):

* **not_informed** ("nobody told me", "niemand hat mich informiert", "nikdo
  mi nedal vědět", "nikt mnie nie poinformował"): the contact attempts
  before the provider's (first) action in the period, or in the whole
  period when there was none;
* **no_response** ("no answer for a week", "seit 8 Tagen keine Reaktion"):
  the customer's messages (from the date the claim names, if any) and how
  long each waited for staff's first reply, against the claimed duration
  and the promise (`[notices] first_response_hours`).

Classification:

| | not_informed | no_response |
|---|---|---|
| contradicted | an attempt reached the customer before the action (e-mail accepted by his server at the address on record, call answered, letter sent) | every message was answered within the promise |
| supported | none was made, or every one failed (bounced, expired, unanswered call) | a message waited at least the claimed time (minus `claim_tolerance_hours`), or beyond the promise without a duration claimed |
| partly | attempts exist but none clearly reached him (only to an old address, voicemail, deferred, not in the mail log) | a message waited beyond the promise, but less than claimed |
| not_covered | no attempt found and the mail/ticket logs do not cover the time | no ticket log for the period |

Dates in the claim ("seit dem 18.03.") are read with the shared date reader
(`forensics.investigate.claims.extract_dates`).
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
from functools import lru_cache

from forensics.investigate.claims import (LANGS, VOCABULARY, assumed_year, detect, extract_dates, normalise,
                                          vocabulary)
from forensics.investigate.notices.model import FAILED, PARTIAL, REACHED, NoticeClaim
from forensics.investigate.notices.texts import number, outcome_text
from forensics.messages import join, msg
from forensics.timefmt import iso


@lru_cache(maxsize=4)
def notice_vocabulary(path: str | None = None) -> dict:
    """The `[notices]` section of the claim vocabulary, normalised."""
    with open(path or VOCABULARY, "rb") as fh:
        section = tomllib.load(fh)["notices"]
    phrases = []   # (normalised phrase, kind, lang)
    for kind in ("not_informed", "no_response"):
        for lang, items in section[kind].items():
            phrases += [(normalise(p), kind, lang) for p in items]
    phrases.sort(key=lambda t: -len(t[0]))
    units = {normalise(w): unit for unit, words in section["duration_units"].items() for w in words}
    numbers = {normalise(w): int(n) for n, words in section["number_words"].items() for w in words}
    return {"phrases": phrases, "units": units, "numbers": numbers}


_UNIT_HOURS = {"hours": 1.0, "days": 24.0, "weeks": 168.0, "months": 720.0}


def parse_notice_claim(text: str, vocab_path: str | None = None) -> dict:
    """Kind, language, claimed duration (days) and dates of one sentence."""
    v = notice_vocabulary(vocab_path)
    t = normalise(text)
    hits = [(p, kind, lang) for p, kind, lang in v["phrases"]
            if re.search(r"(?<![a-z0-9])" + re.escape(p).replace(r"\ ", r"\s+"), t)]
    kind = hits[0][1] if hits else None
    language = hits[0][2] if hits else None
    if language is None:
        language = detect(text, vocabulary(vocab_path))[0]
    tokens = re.findall(r"[a-z]+|\d+(?:[.,]\d+)?", t)
    days = None
    for i, tok in enumerate(tokens[1:], start=1):
        unit = v["units"].get(tok)
        if unit is None:
            continue
        prev = tokens[i - 1]
        number = float(prev.replace(",", ".")) if prev[0].isdigit() else v["numbers"].get(prev)
        if number is None:
            continue
        hours = number * _UNIT_HOURS[unit]
        days = max(days or 0.0, hours / 24.0)
    dates = extract_dates(text, vocabulary(vocab_path))
    return {"kind": kind, "language": language if language in LANGS else None, "days": days, "dates": dates}


def reconcile(text: str, inv_parts: dict, *, coverage, cfg, tzinfo=None, reference: dt.datetime | None = None,
              vocab_path: str | None = None) -> NoticeClaim:
    """One claim against the contacts, actions and customer messages.

    `inv_parts` holds `contacts`, `actions`, `customer_messages`, `period`
    (the lists of the investigation being built).
    """
    parsed = parse_notice_claim(text, vocab_path)
    ref_date = ((reference.astimezone(tzinfo) if tzinfo else reference).date() if reference
                else dt.date.today())
    dates = []
    for day, month, year in parsed["dates"]:
        y = year if year is not None else assumed_year(month, day, ref_date)
        try:
            dates.append(dt.date(y, month, day))
        except ValueError:
            continue
    claim = NoticeClaim(text=text, language=parsed["language"], kind=parsed["kind"], claimed_days=parsed["days"],
                        classification="not_covered", explanation="", dates=dates)
    if parsed["kind"] == "not_informed":
        _not_informed(claim, inv_parts, coverage)
    elif parsed["kind"] == "no_response":
        _no_response(claim, inv_parts, coverage, cfg, dates, tzinfo)
    else:
        claim.explanation = msg("The claim names neither a missing notice nor a missing answer; "
                                "nothing to compare with the logs.")
    return claim


def _not_informed(claim: NoticeClaim, parts: dict, coverage) -> None:
    contacts, actions = parts["contacts"], parts["actions"]
    restricting = [a for a in actions if not a.release]
    cutoff = restricting[0].ref.ts if restricting else None
    before = [c for c in contacts if not c.routine and (cutoff is None or c.ts < cutoff)]
    what = msg("before {event} at {when}", event=restricting[0].event, when=iso(cutoff)) if cutoff else \
        msg("in the period examined")
    reached = [c for c in before if c.outcome in REACHED and c.on_record is not False]
    elsewhere = [c for c in before if c.outcome in REACHED and c.on_record is False]
    partial = [c for c in before if c.outcome in PARTIAL]
    failed = [c for c in before if c.outcome in FAILED]
    claim.evidence = [c.ref for c in before] + [c.trace.final.ref for c in before
                                                if c.trace is not None and c.trace.final is not None]
    counts = msg("Reached the customer: {reached}; failed: {failed}; outcome not known: {partial}.",
                 reached=len(reached) + len(elsewhere), failed=len(failed), partial=len(partial))
    if reached:
        claim.classification = "contradicted"
        listed = join([_contact_line(c) for c in reached])
        claim.explanation = join([msg("Contact attempts {what}: {n}.", n=len(before), what=what), counts,
                                  msg("Reached the customer: {list}.", list=listed)], sep=" ")
    elif before and (elsewhere or partial):
        claim.classification = "partly"
        notes = []
        if elsewhere:
            notes.append(msg("accepted only at an address that was not on record at the time: {n}",
                             n=len(elsewhere)))
        if partial:
            notes.append(msg("outcome not known (voicemail, deferred, or not in the mail log): {n}",
                             n=len(partial)))
        claim.explanation = join([msg("Contact attempts {what}: {n}; none is known to have reached the customer at "
                                      "his address on record.", n=len(before), what=what), join(notes)], sep=" ")
    elif before:
        claim.classification = "supported"
        claim.explanation = msg("Contact attempts {what}: {n}; every one failed: {list}.",
                                n=len(before), what=what, list=join([_contact_line(c) for c in failed]))
    else:
        start, end = parts["period"]
        end = cutoff or end
        kinds = [k for k in ("mail", "ticket", "panel") if _covers(coverage, k, start, end)]
        gaps = [g for k in ("mail", "ticket") for g in coverage.gaps(k)
                if start is not None and end is not None and g.start < end and g.end > start]
        # "None was sent" needs the panel's notices and at least one of the
        # logs that carry other contacts (mail, tickets), complete for that time.
        if "panel" not in kinds or not ({"mail", "ticket"} & set(kinds)) or gaps:
            claim.classification = "not_covered"
            claim.explanation = msg("No contact attempt {what} is in the logs, but the mail and ticket logs "
                                    "do not cover that time completely: the logs cannot show that none was made.",
                                    what=what)
        else:
            claim.classification = "supported"
            claim.explanation = msg("No contact attempt {what} in the logs, which cover that time ({kinds}).",
                                    what=what, kinds=", ".join(kinds))


def _covers(coverage, kind, start, end) -> bool:
    """Does the kind's log span [start, end]?  A log that begins or ends less
    than `[coverage] max_gap_hours` inside the window counts: a shorter
    silence is no gap either."""
    span = coverage.period(kind)
    if span is None:
        return False
    slack = dt.timedelta(hours=coverage.max_gap_hours)
    return (start is None or span[0] <= start + slack) and (end is None or span[1] >= end - slack)


def _contact_line(c):
    where = c.recipient or "–"
    evidence = c.trace.final.ref.citation if c.trace is not None and c.trace.final is not None else c.ref.citation
    return msg("{when} {channel} to {recipient}: {outcome} ({citation})", when=iso(c.ts), channel=c.channel,
               recipient=where, outcome=outcome_text(c.outcome), citation=evidence)


def _no_response(claim: NoticeClaim, parts: dict, coverage, cfg, dates, tzinfo) -> None:
    promise = float(cfg["notices"]["first_response_hours"])
    tolerance = float(cfg["notices"]["claim_tolerance_hours"])
    messages = parts["customer_messages"]
    if dates:
        first = min(dates)
        messages = [m for m in messages if (m.ref.ts.astimezone(tzinfo) if tzinfo else m.ref.ts).date()
                    >= first - dt.timedelta(days=1)]
    claim.evidence = [m.ref for m in messages] + [m.first_response for m in messages if m.first_response]
    if not messages:
        start, end = parts["period"]
        if coverage.period("ticket") is None or not _covers(coverage, "ticket", start, end):
            claim.classification = "not_covered"
            claim.explanation = msg("No message of the customer is in the ticket log, which does not cover "
                                    "the period: the logs cannot answer the claim.")
        else:
            claim.classification = "contradicted"
            claim.explanation = msg("The ticket log covers the period and holds no message of the customer "
                                    "that waited for an answer.")
        return

    def waited(m):
        return m.first_response_hours if m.first_response_hours is not None else (m.open_hours or 0.0)

    longest = max(messages, key=waited)
    hours = waited(longest)
    late = [m for m in messages if waited(m) > promise]
    open_ = [m for m in messages if m.first_response is None]
    facts = msg("The longest wait for a first reply was {hours} hours ({days} days), after the message of {when} "
                "({citation}); the promise is {promise} hours.",
                hours=number(hours), days=number(hours / 24), when=iso(longest.ref.ts),
                citation=longest.ref.citation, promise=number(promise))
    if open_:
        facts = join([facts, msg("Messages still without a reply when the ticket log ends: {n}.", n=len(open_))],
                     sep=" ")
    if claim.claimed_days is not None:
        claimed_h = claim.claimed_days * 24
        if hours >= claimed_h - tolerance:
            claim.classification = "supported"
        elif late:
            claim.classification = "partly"
        else:
            claim.classification = "contradicted"
        claim.explanation = join([msg("Claimed: {days} days without a reaction.", days=number(claim.claimed_days)),
                                  facts], sep=" ")
    else:
        if open_ and any(waited(m) > promise for m in open_):
            claim.classification = "supported"
        elif late:
            claim.classification = "partly"
        else:
            claim.classification = "contradicted"
        claim.explanation = facts
