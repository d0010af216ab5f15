"""The customer's own sentences: dates and actions out, reconciled with the logs.

Parsing (`parse_claim`): the text is lower-cased and stripped of diacritics;
dates are read in these forms, with or without a year: `YYYY-MM-DD`,
`DD.MM.YYYY`, `DD.MM.`, `D.M.`, `DD/MM/YYYY` (month/day only when the day is
over 12), `D. Monat [YYYY]`, `D Month [YYYY]`,
`Month D[, YYYY]`, `Dth of Month` (month names and their inflected forms in
English, German, Czech and Polish); the action comes from the synonym table
in `claim_vocabulary.toml` (longest matching term wins), the language from
which vocabulary the words belong to.

Reconciling (`match_claim`), for each claimed day and month:

* a date without a year is read in the most recent year in which that day
  lies on or before the end of the investigated period (the logs' end, or
  `--until`): a letter about "19.03." written in April means this March;
* **exact**: an event of the claimed kind on that date;
* **different_year**: none on that date, but one on the same day and month
  of another year the logs cover (which year is given);
* **off_by_days**: none of those, but one within `[claims] max_days_off`
  days in the claimed year (how many days, and earlier or later);
* **not_found**: nothing, and the result says whether the panel log covers
  the claimed date at all (or the gap it falls in).

Events are compared by calendar date in the zone given with `--tz` (the
customer's zone), else UTC.  Words naming an operating system ("SUSE",
"CentOS") prefer events whose detail names it.
"""

from __future__ import annotations

import datetime as dt
import re
import tomllib
import unicodedata
from functools import lru_cache
from pathlib import Path

from forensics.investigate.model import ClaimMatch, ClaimResult, EventRef
from forensics.timefmt import iso_date

VOCABULARY = Path(__file__).with_name("claim_vocabulary.toml")
LANGS = ("en", "de", "cs", "pl")
RANK = {"exact": 0, "off_by_days": 1, "different_year": 2, "not_found": 3}


def normalise(text: str) -> str:
    """Lower case without diacritics ("Března" -> "brezna"); ß -> ss."""
    text = text.replace("ß", "ss").replace("ł", "l").replace("Ł", "L")
    decomposed = unicodedata.normalize("NFKD", text)
    return "".join(c for c in decomposed if not unicodedata.combining(c)).lower()


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
    return {"months": months, "actions": actions, "hints": hints, "details": details}


def _month_regex(months: dict) -> str:
    return "|".join(re.escape(m) for m in sorted(months, key=len, reverse=True))


def extract_dates(text: str, vocab: dict) -> list[tuple[int, int, int | None]]:
    """(day, month, year or None) in the order written."""
    t = normalise(text)
    mon = _month_regex(vocab["months"])
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
    found = []
    taken = [False] * len(t)
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
            for i in range(m.start(), m.end()):
                taken[i] = True
            found.append((m.start(), (d, mo, y)))
    return [v for _, v in sorted(found)]


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
    return language, action, details


def parse_claim(text: str, vocab_path: str | None = None) -> dict:
    vocab = vocabulary(vocab_path)
    language, action, details = detect(text, vocab)
    return {"text": text, "language": language, "action": action, "details": details,
            "dates": extract_dates(text, vocab)}


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


def match_claim(text: str, events: list[EventRef], *, state_changing: list[str], coverage, reference: dt.datetime,
                tzinfo=None, max_days_off: int = 7, vocab_path: str | None = None) -> ClaimResult:
    """Reconcile one claim with the account's events (all years)."""
    parsed = parse_claim(text, vocab_path)
    action = parsed["action"]
    kinds = [action] if action else list(state_changing)
    if action in ("rescue_enable",):
        kinds = ["rescue_enable"]
    candidates = [e for e in events if e.event in kinds and e.source_kind == "panel" and e.result != "failure"]
    if parsed["details"]:
        named = [e for e in candidates if any(d in _event_text(e) for d in parsed["details"])]
        if named:
            candidates = named

    def local_date(e: EventRef) -> dt.date:
        return (e.ts.astimezone(tzinfo) if tzinfo else e.ts).date()

    ref_date = (reference.astimezone(tzinfo) if tzinfo else reference).date()
    dates, day_months, matches = [], [], []
    year_given = any(y is not None for _, _, y in parsed["dates"])
    best = "not_found"
    notes = []
    assumed = None
    what = (action or "state-changing action").replace("_", " ")
    years = coverage.years()
    for day, month, year in parsed["dates"]:
        day_months.append((day, month))
        y = year if year is not None else assumed_year(month, day, ref_date)
        if year is None:
            assumed = y
        claimed = _date_in(y, month, day)
        if claimed is None:
            continue
        dates.append(claimed)
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
            notes.append(f"{iso_date(claimed)}: {what} found on that date")
        elif other_year:
            cls = "different_year"
            matches += [ClaimMatch(event=e, classification=cls, year=local_date(e).year, claimed_date=claimed,
                                   days_off=0, signed_days=(local_date(e) - claimed).days) for e in other_year]
            found = ", ".join(iso_date(local_date(e)) for e in other_year)
            notes.append(f"{iso_date(claimed)}: no {what} that day; the same day of another year: {found}")
        elif near:
            cls = "off_by_days"
            nearest = abs((local_date(near[0]) - claimed).days)
            for e in near:
                if abs((local_date(e) - claimed).days) != nearest:
                    break
                signed = (local_date(e) - claimed).days
                matches.append(ClaimMatch(event=e, classification=cls, days_off=abs(signed), year=y,
                                          claimed_date=claimed, signed_days=signed))
                notes.append(f"{iso_date(claimed)}: no {what} that day; one on {iso_date(local_date(e))}, "
                             f"{abs(signed)} day{'s' if abs(signed) != 1 else ''} {'earlier' if signed < 0 else 'later'}")
        else:
            cls = "not_found"
            noon = dt.datetime.combine(claimed, dt.time(12), tzinfo or dt.timezone.utc)
            gap = coverage.gap_at("panel", noon.astimezone(dt.timezone.utc))
            span = coverage.period("panel")
            if gap is not None:
                notes.append(f"{iso_date(claimed)}: inconclusive, the date falls in a gap of the panel log "
                             f"({gap.path}, {iso_date(gap.start)} to {iso_date(gap.end)})")
            elif span is None or not (span[0].date() <= claimed <= span[1].date()):
                cov = f"{iso_date(span[0])} to {iso_date(span[1])}" if span else "nothing"
                notes.append(f"{iso_date(claimed)}: the panel log does not cover this date (it covers {cov})")
            else:
                notes.append(f"{iso_date(claimed)}: the panel log covers this date and shows no {what} on it, within "
                             f"{max_days_off} days, or on that day in any other year "
                             f"({years[0]}–{years[-1]})" if years else "")
        if cls != "not_found":
            noon = dt.datetime.combine(claimed, dt.time(12), tzinfo or dt.timezone.utc)
            gap = coverage.gap_at("panel", noon.astimezone(dt.timezone.utc))
            if gap is not None:
                notes.append(f"{iso_date(claimed)} itself falls in a gap of the panel log ({gap.path}, "
                             f"{iso_date(gap.start)} to {iso_date(gap.end)}): an event on that day would not be in the logs")
        if RANK[cls] < RANK[best]:
            best = cls
    covered = None
    if dates:
        covered = all(coverage.covers(dt.datetime.combine(d, dt.time(12), dt.timezone.utc)) for d in dates)
    if not parsed["dates"]:
        notes.append("no date found in the claim")
    if action is None:
        notes.append("no action recognised; compared with every state-changing action")
    explanation = "; ".join(notes)
    if assumed is not None and not year_given:
        explanation = (f"no year given: read as {assumed} (the latest such date before {iso_date(ref_date)}); "
                       + explanation)
    return ClaimResult(text=text, language=parsed["language"], dates=dates, day_months=day_months,
                       year_given=year_given, action=action, classification=best, matches=matches,
                       covered=covered, explanation=explanation, details=parsed["details"], assumed_year=assumed)
