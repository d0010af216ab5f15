"""Log content is hostile: it is printed, never interpreted, and the PDF
renderer fetches nothing but the report's own packaged assets."""

import re

import pytest
from pypdf import PdfReader

import report_fixtures as fx
from forensics.report import render_report
from forensics.report.render import css_string, make_fetcher
from forensics.resources import templates_dir


def _text(path):
    return re.sub(r"\s+", "", "".join(p.extract_text() or "" for p in PdfReader(str(path)).pages))


def test_hostile_user_agent_and_user_name_appear_as_literal_text(tmp_path):
    inv = fx.build_investigation(hostile=True)
    inv.findings = inv.findings[2:]            # the compromise: its session carries the payloads
    fetcher = make_fetcher()
    result = render_report(inv, tmp_path / "hostile.pdf", report_date="2025-04-02", fetcher=fetcher)

    text = _text(result.path)
    assert re.sub(r"\s+", "", fx.HOSTILE_UA) in text
    assert re.sub(r"\s+", "", fx.HOSTILE_USER) in text
    # WeasyPrint asked only for the packaged stylesheet: no file:///etc/passwd,
    # no evil.example, nothing refused because nothing else was ever requested.
    root = templates_dir().resolve().as_uri()
    assert fetcher.requested, "the stylesheet should have been fetched through the fetcher"
    assert all(url.startswith(root + "/") for url in fetcher.requested), fetcher.requested
    assert not any("passwd" in u or "shadow" in u or "evil.example" in u for u in fetcher.requested)
    assert fetcher.refused == []
    # the payload did not become markup: the page has no image and no link to the host
    reader = PdfReader(str(result.path))
    for page in reader.pages:
        for annot in page.get("/Annots") or []:
            uri = annot.get_object().get("/A", {}).get("/URI")
            assert uri is None or "evil.example" not in str(uri)


@pytest.mark.parametrize("url", [
    "file:///etc/passwd",
    "http://evil.example/x.css",
    "https://evil.example/font.woff",
    "data:text/css,body{display:none}",
    "ftp://evil.example/x",
])
def test_the_fetcher_refuses_everything_outside_the_package(url):
    fetcher = make_fetcher()
    with pytest.raises(ValueError, match="refused|disallowed"):
        fetcher.fetch(url)
    assert url in fetcher.refused or not url.startswith("file:")


def test_the_fetcher_refuses_escapes_from_the_template_directory(tmp_path):
    fetcher = make_fetcher()
    root = templates_dir().resolve()
    for url in (root.as_uri() + "/../../../../etc/passwd", root.as_uri() + "/report.html",
                root.as_uri() + "/report.css?x=1", "file://evil.example" + str(root / "report.css")):
        with pytest.raises(ValueError, match="refused"):
            fetcher.fetch(url)
    response = fetcher.fetch((root / "report.css").as_uri())
    assert b"@page" in response.read() and response.content_type == "text/css"


def test_css_strings_are_fully_escaped():
    value = css_string('x"; } body { background: url(http://evil.example/) } .a { content: "')
    assert value.startswith('"') and value.endswith('"')
    inner = value[1:-1]
    assert re.fullmatch(r"(?:[A-Za-z0-9]|\\[0-9a-f]{6})*", inner)
