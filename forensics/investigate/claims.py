"""The customer's own sentences: dates and actions out, reconciled with the logs.

Parsing (`parse_claim`): the text is lower-cased and stripped of diacritics;
a letter o typed for a zero inside a number ("am 2o.") is read as the zero.
Dates are read in these forms, with or without a year: `YYYY-MM-DD`,
`DD.MM.YYYY`, `DD.MM.`, `D.M.`, `DD/MM/YYYY` (month/day only when the day is
over 12), `D. Monat [YYYY]`, `D Month [YYYY]`, `Month D[, YYYY]`,
`Dth of Month` (month names and their inflected forms in English, German,
Czech and Polish).  A day without a month ("am 23", "on the 23rd", "am 20.")
takes the month (and year) of the last date written before it in the same
sentence, else the latest such day on or before the date of the customer's
letter (`--claim-date`).  Relative days ("yesterday", "gestern", "včera",
"wczoraj", ...; `[relative]` in `claim_vocabulary.toml`) count back from the
letter's date.  The action comes from the synonym table in
`claim_vocabulary.toml` (longest matching term wins), the language from
which vocabulary the words belong to.

A sentence naming several dated actions ("am 19.03. Rettungssystem benutzt,
am 20. SUSE neu installiert, am 23 CentOS installiert") is split at its
commas and semicolons into one claim per action (`split_claim`); each keeps
the whole sentence in `ClaimResult.sentence`.

Reconciling (`match_claim`), for each claimed day and month:

* a date without a year is read in the most recent year in which that day
  lies on or before the reference date (the letter's date, else the end of
  the period examined, else the end of the panel log; the result says which);
* **exact**: an event of the claimed kind on that date;
* **different_year**: none on that date, but one on the same day and month
  of another year the logs cover (which year is given);
* **off_by_days**: none of those, but one within `[claims] max_days_off`
  days in the claimed year (how many days, and earlier or later);
* **not_found**: nothing, and the result says whether the panel log covers
  the claimed date at all (or the gap it falls in);
* **unreadable**: no date could be read from the claim (this says nothing
  about the logs).

Events are compared by calendar date in the zone given with `--tz` (the
customer's zone), else UTC.  Words naming an operating system ("SUSE",
"CentOS", "Cent OS") prefer events whose detail names it.  Every
explanation is a `forensics.messages.Msg`, so the report states it in its
own language.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
import unicodedata
from dataclasses import dataclass
from functools import lru_cache
from pathlib import Path

from forensics.investigate.model import ClaimMatch, ClaimResult, EventRef
from forensics.messages import Msg, join, msg
from forensics.timefmt import iso_date

VOCABULARY = Path(__file__).with_name("claim_vocabulary.toml")
LANGS = ("en", "de", "cs", "pl")
RANK = {"exact": 0, "off_by_days": 1, "different_year": 2, "not_found": 3, "unreadable": 4}

# The actions a claim can name, in words (the report translates them).
ACTION_WORDS = {
    "reinstall": msg("reinstall"), "rescue_enable": msg("rescue system enabled"),
    "rescue_disable": msg("rescue system disabled"), "reboot": msg("reboot"), "power_off": msg("power off"),
    "power_on": msg("power on"), "password_change": msg("password change"), "password_reset": msg("password reset"),
    "email_change": msg("e-mail address change"), "mfa_disable": msg("two-factor authentication disabled"),
    "mfa_enable": msg("two-factor authentication enabled"), "api_key_create": msg("API key created"),
    "api_key_revoke": msg("API key revoked"), "contact_update": msg("contact data change"), "login": msg("login"),
}
ANY_ACTION = msg("state-changing action")


def normalise(text: str) -> str:
    """Lower case without diacritics ("Března" -> "brezna"); ß -> ss."""
    text = text.replace("ß", "ss").replace("ł", "l").replace("Ł", "L")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


def _zero_typos(t: str) -> str:
    """A letter o typed for a zero next to a digit: "2o." -> "20.", "o3.03." -> "03.03."."""
    t = re.sub(r"(?<=\d)o(?=[\s.,;:/]|$)", "0", t)
    return re.sub(r"(?<![a-z0-9])o(?=\d)", "0", t)


@lru_cache(maxsize=4)
def vocabulary(path: str | None = None) -> dict:
    with open(path or VOCABULARY, "rb") as fh:
        vocab = tomllib.load(fh)
    months = {}
    for number, names in vocab["months"].items():
        for name in names:
            months[normalise(name)] = int(number)
    actions = []  # (term, event, lang)
    for lang, table in vocab["actions"].items():
        for event, terms in table.items():
            for term in terms:
                actions.append((normalise(term), event, lang))
    actions.sort(key=lambda t: -len(t[0]))
    hints = {lang: {normalise(w) for w in words} for lang, words in vocab["language_hints"].items()}
    details = [normalise(t) for t in vocab["detail_terms"]["terms"]]
    aliases = {normalise(k): normalise(v) for k, v in vocab["detail_terms"].get("aliases", {}).items()}
    relative = []
    for offset, words in vocab.get("relative", {}).items():
        relative += [(normalise(w), int(offset)) for w in words]
    relative.sort(key=lambda t: -len(t[0]))
    day_words = [normalise(w) for w in vocab.get("day_words", {}).get("words", [])]
    return {"months": months, "actions": actions, "hints": hints, "details": details, "aliases": aliases,
            "relative": relative, "day_words": sorted(day_words, key=len, reverse=True)}


def _month_regex(months: dict) -> str:
    return "|".join(re.escape(m) for m in sorted(months, key=len, reverse=True))


@dataclass
class DateRead:
    """One date read from a claim, and how."""

    day: int
    month: int
    year: int | None
    how: str = "written"        # written | month_carried | claim_date_month | relative
    pos: int = 0
    words: str = ""             # the words it was read from (normalised)


def _latest_on_or_before(day: int, reference: dt.date) -> dt.date | None:
    """The latest date with this day of the month on or before `reference`."""
    year, month = reference.year, reference.month
    for _ in range(13):
        try:
            d = dt.date(year, month, day)
            if d <= reference:
                return d
        except ValueError:
            pass
        year, month = (year, month - 1) if month > 1 else (year - 1, 12)
    return None


def read_dates(text: str, vocab: dict, claim_date: dt.date | None = None) -> tuple[list[DateRead], list[Msg]]:
    """Every date in the text in the order written, and what could not be read."""
    t = _zero_typos(normalise(text))
    mon = _month_regex(vocab["months"])

    def said(m) -> str:
        """The customer's own words for a match (the normalised ones when ß shifted the positions)."""
        return (text if len(text) == len(t) else t)[m.start():m.end()].strip()

    patterns = [
        ("ymd", re.compile(r"(?<!\d)(\d{4})-(\d{1,2})-(\d{1,2})(?!\d)")),
        ("dmy", re.compile(r"(?<![\d.])(\d{1,2})\.\s?(\d{1,2})\.(?:\s?(\d{4})(?!\d))?")),
        # "23.3 přeinstalace": no closing dot; not a time of day ("um 10.05 Uhr", "o 10.05 godz.")
        ("dmy", re.compile(r"(?<![\d.])(?<!um )(?<!at )(?<!o )(?<!v )(?<!ve )(\d{1,2})\.(\d{1,2})"
                           r"(?=[\s,;:]|$)(?!\s*(?:uhr|h\b|hod|godz|am\b|pm\b))")),
        # "19/03/2025": day/month/year, as written in Europe (and the UK)
        ("dmy", re.compile(r"(?<![\d/])(\d{1,2})/(\d{1,2})/(\d{4})(?!\d)")),
        ("dMy", re.compile(rf"(?<![\d.])(\d{{1,2}})(?:st|nd|rd|th)?\.?\s*(?:of\s+)?\b({mon})\b\.?(?:\s*,?\s*(\d{{4}})(?!\d))?")),
        ("Mdy", re.compile(rf"\b({mon})\b\.?\s+(\d{{1,2}})(?:st|nd|rd|th)?(?!\d)(?:\s*,?\s*(\d{{4}})(?!\d))?")),
    ]
    found: list[DateRead] = []
    taken = [False] * len(t)

    def take(m) -> None:
        for i in range(m.start(), m.end()):
            taken[i] = True

    for kind, rx in patterns:
        for m in rx.finditer(t):
            if any(taken[m.start():m.end()]):
                continue
            g = m.groups()
            if kind == "ymd":
                y, mo, d = int(g[0]), int(g[1]), int(g[2])
            elif kind == "dmy":
                d, mo, y = int(g[0]), int(g[1]), (int(g[2]) if len(g) > 2 and g[2] else None)
            elif kind == "dMy":
                d, mo, y = int(g[0]), vocab["months"][g[1]], (int(g[2]) if g[2] else None)
            else:
                mo, d, y = vocab["months"][g[0]], int(g[1]), (int(g[2]) if g[2] else None)
            if "/" in m.group(0) and mo > 12 >= d:
                d, mo = mo, d          # "03/19/2025" can only be month/day
            if not (1 <= mo <= 12 and 1 <= d <= 31):
                continue
            try:
                dt.date(y or 2000, mo, d)
            except ValueError:
                continue
            take(m)
            found.append(DateRead(d, mo, y, "written", m.start(), said(m)))
    unread: list[Msg] = []
    # relative days: "gestern", "včera", "wczoraj", "yesterday"
    for word, offset in vocab["relative"]:
        for m in re.finditer(rf"(?<![a-z0-9]){re.escape(word)}(?![a-z0-9])", t):
            if any(taken[m.start():m.end()]):
                continue
            take(m)
            if claim_date is None:
                unread.append(msg("“{words}” counts from the date of the customer's letter, which was not given "
                                  "(--claim-date)", words=said(m)))
                continue
            d = claim_date + dt.timedelta(days=offset)
            found.append(DateRead(d.day, d.month, d.year, "relative", m.start(), said(m)))
    # a day without a month: "am 23", "am 20.", "on the 23rd", "dne 23.", "23rd"
    words = "|".join(re.escape(w) for w in vocab["day_words"]) or "am"
    day_only = re.compile(rf"(?:(?<![a-z0-9])(?:{words})\s+(\d{{1,2}})(?:st|nd|rd|th|\.)?"
                          rf"|(?<![\d.])(\d{{1,2}})(?:st|nd|rd|th))(?![\d:/]|\.\d)"
                          rf"(?!\s*(?:uhr|h\b|hod|godz|am\b|pm\b|o'clock))")
    for m in day_only.finditer(t):
        if any(taken[m.start():m.end()]):
            continue
        day = int(m.group(1) or m.group(2))
        if not 1 <= day <= 31:
            continue
        earlier = [f for f in found if f.pos < m.start() and f.how in ("written", "month_carried")]
        take(m)
        if earlier:
            last = max(earlier, key=lambda f: f.pos)
            try:
                dt.date(last.year or 2000, last.month, day)
            except ValueError:
                continue
            found.append(DateRead(day, last.month, last.year, "month_carried", m.start(), said(m)))
        elif claim_date is not None:
            d = _latest_on_or_before(day, claim_date)
            if d is not None:
                found.append(DateRead(d.day, d.month, d.year, "claim_date_month", m.start(), said(m)))
        else:
            unread.append(msg("“{words}” names a day without a month", words=said(m)))
    found.sort(key=lambda f: f.pos)
    # the carried months are resolved in order: a carried date can carry on
    for i, f in enumerate(found):
        if f.how == "month_carried":
            before = [g for g in found[:i] if g.how in ("written", "month_carried")]
            if before:
                f.month, f.year = before[-1].month, before[-1].year
    return found, unread


def extract_dates(text: str, vocab: dict, claim_date: dt.date | None = None) -> list[tuple[int, int, int | None]]:
    """(day, month, year or None) in the order written."""
    return [(f.day, f.month, f.year) for f in read_dates(text, vocab, claim_date)[0]]


def _term_rx(term: str):
    return re.compile(r"(?<![a-z0-9])" + re.escape(term).replace(r"\ ", r"\s+"))


def detect(text: str, vocab: dict) -> tuple[str | None, str | None, list[str]]:
    """(language, canonical action, detail terms) of a claim."""
    t = normalise(text)
    tokens = re.findall(r"[a-z0-9-]+", t)
    score = {lang: sum(1 for w in tokens if w in vocab["hints"].get(lang, ())) for lang in LANGS}
    hits = [(term, event, lang) for term, event, lang in vocab["actions"] if _term_rx(term).search(t)]
    for term, _event, lang in hits:
        score[lang] += 1 + len(term) / 4   # a longer, more specific term says more about the language
    language = max(LANGS, key=lambda lang: score[lang]) if any(score.values()) else None
    action = None
    if hits:
        longest = len(hits[0][0])
        best = [h for h in hits if len(h[0]) == longest]
        preferred = [h for h in best if h[2] == language]
        action = (preferred or best)[0][1]
    details = [d for d in vocab["details"] if re.search(rf"(?<![a-z0-9]){re.escape(d)}(?![a-z0-9])", t)]
    for alias, term in vocab["aliases"].items():
        if _term_rx(alias).search(t) and term not in details:
            details.append(term)
    return language, action, details


def parse_claim(text: str, vocab_path: str | None = None, claim_date: dt.date | None = None) -> dict:
    vocab = vocabulary(vocab_path)
    language, action, details = detect(text, vocab)
    reads, unread = read_dates(text, vocab, claim_date)
    return {"text": text, "language": language, "action": action, "details": details,
            "dates": [(f.day, f.month, f.year) for f in reads], "reads": reads, "unread": unread}


def split_claim(text: str, vocab_path: str | None = None) -> list[str]:
    """One sentence naming several dated actions, as one clause per action.

    The text is cut at commas and semicolons; a piece without a date joins
    the piece before it.  The split is kept only when every clause names its
    own action (else "Rettungssystem am 19.03. und am 20.03. benutzt" is one
    claim with two dates).  The clauses are the customer's words, verbatim.
    """
    vocab = vocabulary(vocab_path)
    pieces = [p for p in re.split(r"(?<=[,;])\s*", text) if p.strip()]
    clauses: list[str] = []
    for piece in pieces:
        if clauses and not read_dates(piece, vocab)[0] and not re.search(r"\d|" + "|".join(
                re.escape(w) for w, _ in vocab["relative"]), normalise(piece)):
            clauses[-1] += " " + piece if not clauses[-1].endswith(" ") else piece
        else:
            clauses.append(piece)
    clauses = [c.strip().rstrip(",;").strip() for c in clauses]
    if len(clauses) < 2 or any(detect(c, vocab)[1] is None for c in clauses):
        return [text]
    return clauses


def _date_in(year: int, month: int, day: int) -> dt.date | None:
    try:
        return dt.date(year, month, day)
    except ValueError:
        return None


def assumed_year(month: int, day: int, reference: dt.date) -> int:
    """The most recent year in which (month, day) is on or before `reference`."""
    for year in range(reference.year, reference.year - 8, -1):
        d = _date_in(year, month, day)
        if d is not None and d <= reference:
            return year
    return reference.year


def _event_text(e: EventRef) -> str:
    parts = [e.target or ""]
    if isinstance(e.detail, dict):
        parts += [str(v) for v in e.detail.values()]
    elif e.detail:
        parts.append(str(e.detail))
    return normalise(" ".join(parts))


REFERENCE_SOURCES = {
    "claim_date": msg("the date of the customer's letter, given with --claim-date"),
    "until": msg("the end of the period examined, given with --until"),
    "log_end": msg("the last day of the panel log"),
}


def match_claims(text: str, events: list[EventRef], **options) -> list[ClaimResult]:
    """`match_claim` for each clause of a sentence (see `split_claim`)."""
    clauses = split_claim(text, options.get("vocab_path"))
    if len(clauses) == 1:
        return [match_claim(text, events, **options)]
    results = []
    context = ""
    for clause in clauses:
        # the clause is read after the earlier ones, so that "am 23" takes their month
        result = match_claim(clause, events, context=context, **options)
        result.sentence = text
        results.append(result)
        context += clause + ", "
    return results


def match_claim(text: str, events: list[EventRef], *, state_changing: list[str], coverage, reference: dt.datetime,
                tzinfo=None, max_days_off: int = 7, vocab_path: str | None = None,
                claim_date: dt.date | None = None, reference_source: str | None = None,
                context: str = "") -> ClaimResult:
    """Reconcile one claim with the account's events (all years).

    Args:
        text: the customer's words.
        events: the account's panel events.
        state_changing: the events compared when the claim names no action.
        coverage: the case's `Coverage`.
        reference: the end of the period examined (or of the panel log).
        tzinfo: the customer's zone (calendar days are compared in it).
        max_days_off: the widest `off_by_days` distance.
        claim_date: the date of the customer's letter (`--claim-date`):
            relative days count from it, and year-less dates lie on or before it.
        reference_source: where `reference` comes from (`until` | `log_end`).
        context: earlier clauses of the same sentence (their dates give the
            month of a day written alone).
    """
    vocab = vocabulary(vocab_path)
    language, action, details = detect(text, vocab)
    reads, unread = read_dates(context + text, vocab, claim_date)
    reads = [r for r in reads if r.pos >= len(normalise(context))]
    kinds = [action] if action else list(state_changing)
    candidates = [e for e in events if e.event in kinds and e.source_kind == "panel" and e.result != "failure"]
    if details:
        named = [e for e in candidates if any(d in _event_text(e) for d in details)]
        if named:
            candidates = named

    def local_date(e: EventRef) -> dt.date:
        return (e.ts.astimezone(tzinfo) if tzinfo else e.ts).date()

    if claim_date is not None:
        ref_date, source = claim_date, "claim_date"
    else:
        ref_date, source = (reference.astimezone(tzinfo) if tzinfo else reference).date(), reference_source or "log_end"
    dates, day_months, matches = [], [], []
    # a year written, or implied by the letter's date ("gestern"): not read into the date by assumption
    year_given = any(r.year is not None for r in reads)
    best = "not_found"
    notes: list[Msg] = []
    assumed = None
    what = ACTION_WORDS.get(action, msg("{event}", event=action)) if action else ANY_ACTION
    years = coverage.years()
    for r in reads:
        day, month, year = r.day, r.month, r.year
        day_months.append((day, month))
        if r.how == "month_carried":
            notes.append(msg("“{words}”: the day without a month takes the month of the date before it in the "
                             "same sentence", words=r.words))
        elif r.how == "claim_date_month":
            notes.append(msg("“{words}”: the latest such day on or before the customer's letter of {date}",
                             words=r.words, date=iso_date(claim_date)))
        elif r.how == "relative":
            notes.append(msg("“{words}”: counted from the date of the customer's letter, {date}",
                             words=r.words, date=iso_date(claim_date)))
        y = year if year is not None else assumed_year(month, day, ref_date)
        if year is None:
            assumed = y
        claimed = _date_in(y, month, day)
        if claimed is None:
            continue
        dates.append(claimed)
        day_text = iso_date(claimed)
        exact = [e for e in candidates if local_date(e) == claimed]
        other_year = [e for e in candidates if (local_date(e).month, local_date(e).day) == (month, day)
                      and local_date(e).year != y]
        near = sorted((e for e in candidates if local_date(e).year == y
                       and 0 < abs((local_date(e) - claimed).days) <= max_days_off),
                      key=lambda e: abs((local_date(e) - claimed).days))
        if exact:
            cls = "exact"
            matches += [ClaimMatch(event=e, classification=cls, days_off=0, year=y, claimed_date=claimed,
                                   signed_days=0) for e in exact]
            notes.append(msg("{date}: {action} found on that date", date=day_text, action=what))
        elif other_year:
            cls = "different_year"
            matches += [ClaimMatch(event=e, classification=cls, year=local_date(e).year, claimed_date=claimed,
                                   days_off=0, signed_days=(local_date(e) - claimed).days) for e in other_year]
            found = ", ".join(iso_date(local_date(e)) for e in other_year)
            notes.append(msg("{date}: no {action} that day; the same day of another year: {found}",
                             date=day_text, action=what, found=found))
        elif near:
            cls = "off_by_days"
            nearest = abs((local_date(near[0]) - claimed).days)
            for e in near:
                if abs((local_date(e) - claimed).days) != nearest:
                    break
                signed = (local_date(e) - claimed).days
                matches.append(ClaimMatch(event=e, classification=cls, days_off=abs(signed), year=y,
                                          claimed_date=claimed, signed_days=signed))
                if signed < 0:
                    notes.append(msg("{date}: no {action} that day; one on {found}, {n} day earlier",
                                     "{date}: no {action} that day; one on {found}, {n} days earlier",
                                     date=day_text, action=what, found=iso_date(local_date(e)), n=abs(signed)))
                else:
                    notes.append(msg("{date}: no {action} that day; one on {found}, {n} day later",
                                     "{date}: no {action} that day; one on {found}, {n} days later",
                                     date=day_text, action=what, found=iso_date(local_date(e)), n=abs(signed)))
        else:
            cls = "not_found"
            noon = dt.datetime.combine(claimed, dt.time(12), tzinfo or dt.timezone.utc)
            gap = coverage.gap_at("panel", noon.astimezone(dt.timezone.utc))
            span = coverage.period("panel")
            if gap is not None:
                notes.append(msg("{date}: inconclusive, the date falls in a gap of the panel log ({path}, {start} "
                                 "to {end})", date=day_text, path=gap.path, start=iso_date(gap.start),
                                 end=iso_date(gap.end)))
            elif span is None:
                notes.append(msg("{date}: the case holds no panel log", date=day_text))
            elif not (span[0].date() <= claimed <= span[1].date()):
                notes.append(msg("{date}: the panel log does not cover this date (it covers {start} to {end})",
                                 date=day_text, start=iso_date(span[0]), end=iso_date(span[1])))
            elif years:
                notes.append(msg("{date}: the panel log covers this date and shows no {action} on it, within {n} "
                                 "day, or on that day in any other year ({first}–{last})",
                                 "{date}: the panel log covers this date and shows no {action} on it, within {n} "
                                 "days, or on that day in any other year ({first}–{last})",
                                 date=day_text, action=what, n=max_days_off, first=str(years[0]),
                                 last=str(years[-1])))
        if cls != "not_found":
            noon = dt.datetime.combine(claimed, dt.time(12), tzinfo or dt.timezone.utc)
            gap = coverage.gap_at("panel", noon.astimezone(dt.timezone.utc))
            if gap is not None:
                notes.append(msg("{date} itself falls in a gap of the panel log ({path}, {start} to {end}): an event "
                                 "on that day would not be in the logs", date=day_text, path=gap.path,
                                 start=iso_date(gap.start), end=iso_date(gap.end)))
        if RANK[cls] < RANK[best]:
            best = cls
    covered = None
    if dates:
        covered = all(coverage.covers(dt.datetime.combine(d, dt.time(12), dt.timezone.utc)) for d in dates)
    if not dates:
        best = "unreadable"
        notes.insert(0, msg("date not readable: no date in the customer's words could be read, so the logs were "
                            "not searched for it"))
        notes += unread
    elif unread:
        notes += unread
    if action is None:
        notes.append(msg("no action recognised; compared with every state-changing action"))
    explanation = join(notes)
    if assumed is not None and not year_given:
        explanation = join([msg("no year given: read as {year}, the latest such date on or before {date} ({source})",
                                year=str(assumed), date=iso_date(ref_date), source=REFERENCE_SOURCES[source]),
                            explanation]) if notes else msg(
            "no year given: read as {year}, the latest such date on or before {date} ({source})",
            year=str(assumed), date=iso_date(ref_date), source=REFERENCE_SOURCES[source])
    return ClaimResult(text=text, language=language, dates=dates, day_months=day_months,
                       year_given=year_given, action=action, classification=best, matches=matches,
                       covered=covered, explanation=explanation, details=details, assumed_year=assumed)
