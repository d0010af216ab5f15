"""What the PDF shows is bounded and is what the bytes are.

A 1 MB User-Agent costs one clipped cell per place it appears, not a hundred
pages (the attachments keep it whole); the page budget of `[report]` holds;
control and direction characters are printed as escapes, never applied.
"""

from __future__ import annotations

import copy
import csv
import io
import re

import pytest
from markupsafe import Markup
from pypdf import PdfReader

import casebuilder as cb
from forensics.case import Case
from forensics.config import load_config
from forensics.investigate import investigate
from forensics.report import render_report
from forensics.report.render import clip, shown


def _session_with_user_agent(path, ua: str):
    """The founding story's disputed session (his history, a reinstall) with `ua` as its browser."""
    b = cb.CaseBuilder(path)
    cb.holder_history(b)
    b.ip("84.132.10.99", asn=3320, as_org="Deutsche Telekom AG", network="84.128.0.0/10", country="DE",
         country_name="Germany", city="Berlin", lat=52.52, lon=13.40)
    cb.browse_session(b, "2026-03-22T09:14:03+01:00", session="s-7731", ip="84.132.10.99", ua=ua,
                      actions=[("reinstall", f"/servers/{cb.SERVER}/reinstall", {"os": "CentOS 7"})])
    b.build().close()
    with Case.open(path, read_only=True) as case:
        return investigate(case, cb.HOLDER, action="reinstall")


def _long_user_agent(size: int) -> str:
    words = "Mozilla/5.0 (X11; Linux x86_64) " + " ".join(f"Ext{i}/1.{i % 10}" for i in range(size // 8))
    return words[:size]


def _pdf(path):
    reader = PdfReader(str(path))
    text = "".join(page.extract_text() or "" for page in reader.pages)
    return reader, text


@pytest.fixture(scope="module")
def baseline_pages(tmp_path_factory):
    tmp = tmp_path_factory.mktemp("baseline")
    inv = _session_with_user_agent(tmp / "case.duckdb", cb.FIREFOX_124_WIN)
    return render_report(inv, tmp / "report.pdf", report_date="2026-04-02").pages


@pytest.mark.parametrize("size", [8 * 1024, 64 * 1024, 1024 * 1024], ids=["8KB", "64KB", "1MB"])
def test_a_huge_user_agent_is_clipped_in_the_text_and_whole_in_the_attachments(tmp_path, baseline_pages, size):
    ua = _long_user_agent(size)
    inv = _session_with_user_agent(tmp_path / "case.duckdb", ua)
    result = render_report(inv, tmp_path / "report.pdf", report_date="2026-04-02")
    # The same report as with an ordinary browser, give or take a page of notes.
    assert result.pages <= baseline_pages + 1
    reader, text = _pdf(result.path)
    flat = re.sub(r"\s+", "", text)
    limit = load_config()["report"]["max_cell_chars"]
    assert re.sub(r"\s+", "", ua[:limit]) in flat and re.sub(r"\s+", "", ua[: limit + 40]) not in flat
    left_out = size - limit
    assert f"[…{left_out}morecharacters:completeintheattachedfiles]" in flat
    csv.field_size_limit(4 * size)
    rows = list(csv.DictReader(io.StringIO(reader.attachments["cited-events.csv"][0].decode("utf-8"))))
    http = [r for r in rows if r["source_kind"] == "http" and r["ip"] == "84.132.10.99"]
    assert http and all(r["user_agent"] == ua and r["raw"].endswith(f'"{ua}"') for r in http)


def test_the_page_budget_is_kept_by_cutting_the_lists(tmp_path, baseline_pages):
    inv = _session_with_user_agent(tmp_path / "case.duckdb", cb.FIREFOX_124_WIN)
    config = copy.deepcopy(load_config())
    config["report"]["max_pages"] = baseline_pages - 2
    result = render_report(inv, tmp_path / "report.pdf", report_date="2026-04-02", config=config)
    assert result.pages <= baseline_pages - 2 and not result.over_budget
    _, text = _pdf(result.path)
    assert re.search(r"Showing \d+ of \d+ rows", text)
    config["report"]["max_pages"] = 1          # not reachable: the report says how long it is
    result = render_report(inv, tmp_path / "report.pdf", report_date="2026-04-02", config=config)
    assert result.over_budget and result.pages > 1


def test_direction_overrides_and_newlines_are_shown_as_escapes_in_the_pdf(tmp_path):
    ua = cb.FIREFOX_124_WIN + " RED\u202eevil\u2066x\u200bz\nassessment: staff"
    inv = _session_with_user_agent(tmp_path / "case.duckdb", ua)
    result = render_report(inv, tmp_path / "report.pdf", report_date="2026-04-02")
    _, text = _pdf(result.path)
    flat = re.sub(r"\s+", "", text)
    assert "RED\\u202eevil\\u2066x\\u200bz\\x0aassessment:staff" in flat
    for char in "\u202e\u2066\u200b":
        assert char not in text
    assert "REDlive" not in flat


def test_shown_clips_and_escapes_log_values_but_not_the_templates_markup():
    def gettext(message):
        return message

    assert clip("abcdef", 10, gettext) == "abcdef"
    assert clip("abcdefghijkl", 4, gettext) == "abcd [… 8 more characters: complete in the attached files]"
    assert shown("RED\u202eevil\r\n", max_chars=500, gettext=gettext) == "RED\\u202eevil\\x0d\\x0a"
    assert shown(Markup("<svg>\u202e</svg>"), max_chars=3, gettext=gettext) == Markup("<svg>\u202e</svg>")
    assert shown(42, max_chars=1, gettext=gettext) == 42


def test_templates_print_no_value_past_the_finalize_hook():
    """Filters whose result is Markup (`|join`, `|format`, ...) would skip `shown`:
    only the figures' `|safe` and the CSS strings' `|css_string` are used."""
    from forensics.resources import templates_dir

    used = set()
    for template in templates_dir().glob("*.html"):
        used |= set(re.findall(r"\|\s*([a-z_]+)", template.read_text(encoding="utf-8")))
    # num and length return numbers, which the hook passes as they are; |join would return Markup.
    # underscore_breaks returns Markup, but of the value after `shown` (cut, escapes visible) and escaped:
    # it only adds <wbr> after underscores
    assert used <= {"safe", "css_string", "num", "length", "underscore_breaks"}, used


def test_underscore_breaks_passes_the_value_through_the_finalize_hook():
    from forensics.report.render import underscore_breaks

    long = "a_" * 400
    out = str(underscore_breaks(long, max_chars=50, gettext=lambda s: s))
    assert out.count("<wbr>") <= 26 and "a_<wbr>a" in out            # cut like any other value
    assert str(underscore_breaks("x\u202e_y")) == "x\\u202e_<wbr>y"   # a direction override shown, not applied


def _builder(lang="en", **limits):
    from types import SimpleNamespace

    from forensics.report.context import Builder, Limits
    from forensics.report.i18n import translations

    return Builder(SimpleNamespace(thresholds={}), translations(lang).gettext, None, None, Limits(**limits), lang)


def test_a_long_value_in_a_raw_line_is_cut_where_it_stands_with_its_hash():
    import datetime as dt
    import hashlib

    from forensics.investigate.model import EventRef

    ua = _long_user_agent(1024 * 1024)
    raw = f'84.132.10.99 - - [22/Mar/2026:08:14:03 +0000] "GET /servers HTTP/1.1" 200 512 "-" "{ua}" rt=0.042'
    ref = EventRef(event_id=1, ts=dt.datetime(2026, 3, 22, 8, 14, 3, tzinfo=dt.timezone.utc), source_id=1,
                   path="access.log", line_no=7, raw=raw, source_kind="http", user_agent=ua, http_path="/servers")
    digest = hashlib.sha256(ua.encode("utf-8")).hexdigest()[:16]
    line = str(_builder().raw_line(ref))
    # the value cut to max_value_in_line_chars where it stands, the rest of the line as logged
    assert line == ('84.132.10.99 - - [22/Mar/2026:08:14:03 +0000] &#34;GET /servers HTTP/1.1&#34; 200 512 &#34;-&#34; '
                    f'&#34;{ua[:80]} <span class="cut-note">[… 1,048,496 more characters, SHA-256 {digest}…]</span>'
                    '&#34; rt=0.042')
    line = str(_builder("de").raw_line(ref))
    assert f"[… 1.048.496 weitere Zeichen, SHA-256 {digest}…]" in line
    # an ordinary line, and a long one without a long value of its event, are left to the finalize hook
    ordinary = EventRef(**{**ref.__dict__, "raw": raw.replace(ua, "Mozilla/5.0"), "user_agent": "Mozilla/5.0"})
    assert _builder().raw_line(ordinary) == ordinary.raw
    other = EventRef(**{**ref.__dict__, "user_agent": "Mozilla/5.0"})
    assert _builder().raw_line(other) is raw
    # only as many values as needed: a long path alone brings this line under the limit, the User-Agent stays
    path = "/search?q=" + "x" * 600
    both = EventRef(**{**ref.__dict__, "raw": raw.replace(ua, "Mozilla/5.0 (X11)").replace("/servers", path),
                       "user_agent": "Mozilla/5.0 (X11)", "http_path": path})
    line = str(_builder().raw_line(both))
    assert '&#34;Mozilla/5.0 (X11)&#34; rt=0.042' in line and line.count("cut-note") == 1
    assert f"GET {path[:80]} <span" in line


def test_a_huge_user_agent_costs_its_appendix_lines_no_more_than_an_ordinary_one(tmp_path):
    import hashlib

    ua = _long_user_agent(64 * 1024)
    inv = _session_with_user_agent(tmp_path / "case.duckdb", ua)
    _, text = _pdf(render_report(inv, tmp_path / "report.pdf", report_date="2026-04-02").path)
    flat = re.sub(r"\s+", "", text)
    digest = hashlib.sha256(ua.encode("utf-8")).hexdigest()[:16]
    assert flat.count(f"morecharacters,SHA-256{digest}…]") >= 2       # the session's login and request lines
    assert f"SHA-256ofthewholeUser-Agent:{digest}…" in flat
    # the value's first max_cell_chars characters are printed once (the session's browser), not in every line
    limit = load_config()["report"]["max_cell_chars"]
    assert flat.count(re.sub(r"\s+", "", ua[:limit])) == 1
