"""Is a User-Agent a person's browser, a headless browser, a script or a crawler?

ua-parser names the software; it does not say whether a human was behind it.
For a dispute that is the question ("a human click-stream with his usual
browser" versus "a script with his password"), so this module adds one
classification on top:

* ``browser``:  an interactive browser (a ``Mozilla/``- or ``Opera``-style string
  that ua-parser recognises, or a text-mode browser such as Lynx)
* ``headless``: a browser driven by a program (HeadlessChrome, PhantomJS, WebDriver)
* ``library``:  an HTTP library or command-line client (curl, python-requests, ...)
* ``crawler``:  a search-engine bot, crawler framework or scanner
* ``unknown``:  anything else (apps, feed readers, odd strings)
* ``empty``:    no User-Agent at all (``""`` or ``"-"``)

All markers live in `MARKERS`, in priority order, so adding a tool is adding
one line there.
"""

from __future__ import annotations

import re
from dataclasses import dataclass

BROWSER = "browser"
HEADLESS = "headless"
LIBRARY = "library"
CRAWLER = "crawler"
UNKNOWN = "unknown"
EMPTY = "empty"

AUTOMATION_CLASSES = (BROWSER, HEADLESS, LIBRARY, CRAWLER, UNKNOWN, EMPTY)

# Strings that mean "no User-Agent header": Apache/nginx log "-" for a missing one.
EMPTY_VALUES = frozenset({"", "-", '"-"'})


@dataclass(frozen=True)
class Marker:
    """One recognisable automation tool.

    Attributes:
        needle: lower-case text that every match contains (a cheap
            substring test before the regular expression runs).
        pattern: regular expression searched in the User-Agent (case-insensitive).
        automation_class: the class it implies (see module docstring).
        tool: the tool's name as stored in ``user_agents.automation_tool``.
    """

    needle: str
    pattern: str
    automation_class: str
    tool: str


# Priority order: the first marker that matches wins.  Each marker's needle
# is a plain substring test (cheap); its pattern only runs when the needle
# is present, so a plain browser string costs a few dozen `in` checks.
# Headless browsers come first because their strings also look like browsers ("Mozilla/5.0 ...
# HeadlessChrome/120"); libraries before crawlers because some libraries are
# also flagged as spiders by ua-parser (Java/17 is a "Spider" device there).
MARKERS: tuple[Marker, ...] = (
    # headless / driven browsers
    Marker("headlesschrome/", r"HeadlessChrome/", HEADLESS, "HeadlessChrome"),
    Marker("phantomjs/", r"PhantomJS/", HEADLESS, "PhantomJS"),
    Marker("slimerjs", r"SlimerJS", HEADLESS, "SlimerJS"),
    Marker("selenium", r"\bSelenium\b", HEADLESS, "Selenium"),
    Marker("webdriver", r"WebDriver", HEADLESS, "WebDriver"),
    Marker("puppeteer", r"\bPuppeteer\b", HEADLESS, "Puppeteer"),
    Marker("playwright", r"\bPlaywright\b", HEADLESS, "Playwright"),
    Marker("htmlunit", r"HtmlUnit", HEADLESS, "HtmlUnit"),
    Marker("jsdom/", r"\bjsdom/", HEADLESS, "jsdom"),
    Marker("cypress/", r"\bCypress/", HEADLESS, "Cypress"),
    Marker("headless", r"\bHeadless", HEADLESS, "Headless"),
    # HTTP libraries and command-line clients
    Marker("curl/", r"(?:^|[\s(])curl/|\blibcurl/", LIBRARY, "curl"),
    Marker("wget/", r"(?:^|\s)Wget/", LIBRARY, "wget"),
    Marker("python-requests/", r"python-requests/", LIBRARY, "python-requests"),
    Marker("python-urllib/", r"Python-urllib/", LIBRARY, "python-urllib"),
    Marker("python-httpx/", r"python-httpx/", LIBRARY, "python-httpx"),
    Marker("aiohttp/", r"aiohttp/", LIBRARY, "aiohttp"),
    Marker("go-http-client/", r"Go-http-client/", LIBRARY, "Go-http-client"),
    Marker("okhttp/", r"(?:^|\s)okhttp/", LIBRARY, "okhttp"),
    Marker("libwww-perl/", r"libwww-perl/", LIBRARY, "libwww-perl"),
    Marker("lwp::", r"LWP::", LIBRARY, "libwww-perl"),
    Marker("mechanize", r"WWW-Mechanize|\bMechanize/", LIBRARY, "Mechanize"),
    Marker("java-http-client/", r"Java-http-client/", LIBRARY, "Java-http-client"),
    Marker("java/", r"(?:^|\s)Java/\d", LIBRARY, "Java"),
    Marker("apache-httpclient/", r"Apache-HttpClient/", LIBRARY, "Apache-HttpClient"),
    Marker("commons-httpclient/", r"Commons-HttpClient/", LIBRARY, "Commons-HttpClient"),
    Marker("powershell/", r"PowerShell/", LIBRARY, "PowerShell"),
    Marker("node-fetch", r"node-fetch", LIBRARY, "node-fetch"),
    Marker("axios/", r"\baxios/", LIBRARY, "axios"),
    Marker("undici", r"\bundici\b", LIBRARY, "undici"),
    Marker("guzzlehttp/", r"GuzzleHttp/", LIBRARY, "Guzzle"),
    Marker("http_request2/", r"HTTP_Request2/", LIBRARY, "HTTP_Request2"),
    Marker("postmanruntime/", r"PostmanRuntime/", LIBRARY, "Postman"),
    Marker("insomnia/", r"\binsomnia/", LIBRARY, "Insomnia"),
    Marker("httpie/", r"\bHTTPie/", LIBRARY, "HTTPie"),
    Marker("reqwest/", r"\breqwest/", LIBRARY, "reqwest"),
    Marker("ruby", r"^Ruby$", LIBRARY, "Ruby"),
    Marker("faraday v", r"Faraday v\d", LIBRARY, "Faraday"),
    Marker("dart/", r"(?:^|\s)Dart/\d", LIBRARY, "Dart"),
    Marker("libfetch/", r"\blibfetch/", LIBRARY, "libfetch"),
    Marker("indy library", r"Indy Library", LIBRARY, "Indy"),
    # crawler frameworks and scanners (automated visitors, not people)
    Marker("scrapy/", r"Scrapy/", CRAWLER, "Scrapy"),
    Marker("nmap scripting engine", r"Nmap Scripting Engine", CRAWLER, "Nmap"),
    Marker("sqlmap/", r"sqlmap/", CRAWLER, "sqlmap"),
    Marker("nikto", r"\bNikto\b", CRAWLER, "Nikto"),
    Marker("masscan", r"masscan", CRAWLER, "masscan"),
    Marker("zgrab", r"zgrab", CRAWLER, "zgrab"),
    Marker("nuclei", r"Nuclei", CRAWLER, "Nuclei"),
    Marker("wpscan", r"WPScan", CRAWLER, "WPScan"),
)

_COMPILED = tuple((marker.needle, re.compile(marker.pattern, re.I), marker) for marker in MARKERS)
# Self-declared robots that ua-parser does not know as "Spider" (lower-case
# substrings: "Twitterbot/1.0", "msnbot-media", "Baiduspider", "Yahoo! Slurp").
# Not "bot " with a space: phone brands end in "bot" ("CUBOT X19").
GENERIC_CRAWLER_WORDS = ("bot/", "bot;", "bot)", "bot-", "crawl", "spider", "slurp", "archiver", "fetcher")
_BROWSER_SHAPE = re.compile(r"^(?:Mozilla/\d|Opera/\d)")
# Text-mode browsers: a person at a terminal, whatever ua-parser calls them.
_TEXT_BROWSER = re.compile(r"^(?:Lynx/|Links \(|ELinks[/ (]|w3m/)")


def automation_class(ua: str, browser_family: str, is_bot: bool) -> tuple[str, str | None]:
    """Classify one User-Agent string.

    Args:
        ua: the exact User-Agent string.
        browser_family: ua-parser's browser family for it ("Other" if unknown).
        is_bot: the user-agents library's bot verdict (ua-parser "Spider" device).

    Returns:
        ``(automation_class, automation_tool)``; the tool is None for plain
        browsers and unknown strings.
    """
    if ua.strip() in EMPTY_VALUES:
        return EMPTY, None
    lowered = ua.lower()
    for needle, regex, marker in _COMPILED:
        if needle in lowered and regex.search(ua):
            return marker.automation_class, marker.tool
    if is_bot or lowered.endswith("bot") or any(word in lowered for word in GENERIC_CRAWLER_WORDS):
        return CRAWLER, browser_family if browser_family != "Other" else None
    if (_BROWSER_SHAPE.match(ua) and browser_family != "Other") or _TEXT_BROWSER.match(ua):
        return BROWSER, None
    return UNKNOWN, None
