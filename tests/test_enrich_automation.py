"""Headless / library / crawler classification on real and explicit strings."""

from __future__ import annotations

import re

import pytest

from forensics.enrich import AUTOMATION_CLASSES, MARKERS, classify_user_agent

# The User-Agent of a combined-log line is its last quoted field (zanbil
# lines add one more quoted "-" after it).
_QUOTED = re.compile(r'"((?:[^"\\]|\\.)*)"')


def _user_agent_of(path, line_no, field_from_end=1):
    with open(path, encoding="utf-8", errors="replace") as fh:
        for number, line in enumerate(fh, 1):
            if number == line_no:
                return _QUOTED.findall(line)[-field_from_end]
    raise AssertionError(f"{path} has no line {line_no}")


# (file under realdata/access, line, quoted field from the end, exact UA, class, tool)
REAL_LINES = [
    ("lnav-zanbil/logfile_shop_access_log.0", 1, 2,
     "Mozilla/5.0 (compatible; AhrefsBot/6.1; +http://ahrefs.com/robot/)", "crawler", "AhrefsBot"),
    ("lnav-zanbil/logfile_shop_access_log.0", 2, 2,
     "Mozilla/5.0 (Linux; Android 6.0; ALE-L21 Build/HuaweiALE-L21) AppleWebKit/537.36 (KHTML, like Gecko) "
     "Chrome/66.0.3359.158 Mobile Safari/537.36", "browser", None),
    ("elastic-examples/apache_logs", 31, 1,
     "Mozilla/5.0 (iPhone; CPU iPhone OS 6_0 like Mac OS X) AppleWebKit/536.26 (KHTML, like Gecko) Version/6.0 "
     "Mobile/10A5376e Safari/8536.25 (compatible; Googlebot/2.1; +http://www.google.com/bot.html)",
     "crawler", "Googlebot"),
    ("elastic-examples/apache_logs", 697, 1,
     "Mozilla/5.0 (compatible; bingbot/2.0; +http://www.bing.com/bingbot.htm)", "crawler", "bingbot"),
    ("elastic-examples/apache_logs", 40, 1,
     "Mozilla/5.0 (compatible; Baiduspider/2.0; +http://www.baidu.com/search/spider.html)", "crawler", "Baiduspider"),
    ("elastic-examples/apache_logs", 354, 1, "Twitterbot/1.0", "crawler", "Twitterbot"),
    ("elastic-examples/apache_logs", 5689, 1,
     "Mozilla/5.0 (Unknown; Linux x86_64) AppleWebKit/534.34 (KHTML, like Gecko) PhantomJS/1.9.2 Safari/534.34",
     "headless", "PhantomJS"),
    ("elastic-examples/apache_logs", 7941, 1,
     "curl/7.22.0 (i686-pc-linux-gnu) libcurl/7.22.0 OpenSSL/1.0.1 zlib/1.2.3.4 libidn/1.23 librtmp/2.3",
     "library", "curl"),
    ("elastic-examples/apache_logs", 8228, 1, "python-requests/1.2.0 CPython/2.7.4 Linux/3.8.0-33-generic",
     "library", "python-requests"),
    ("elastic-examples/apache_logs", 3424, 1, "Python-urllib/2.7", "library", "python-urllib"),
    ("elastic-examples/apache_logs", 5340, 1, "Wget/1.14 (linux-gnu)", "library", "wget"),
    ("elastic-examples/apache_logs", 5807, 1, "LWP::Simple/5.827 libwww-perl/5.833", "library", "libwww-perl"),
    ("elastic-examples/apache_logs", 1782, 1,
     "HTTP_Request2/2.1.1 (http://pear.php.net/package/http_request2) PHP/5.3.2-1ubuntu4.18", "library", "HTTP_Request2"),
    ("elastic-examples/apache_logs", 189, 1,
     "Mozilla/5.0 (Windows NT 6.1; WOW64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/32.0.1700.107 Safari/537.36",
     "browser", None),
    ("elastic-examples/apache_logs", 35, 1, "UniversalFeedParser/4.2-pre-314-svn +http://feedparser.org/",
     "unknown", None),
]


@pytest.mark.parametrize("path,line_no,from_end,expected_ua,klass,tool", REAL_LINES,
                         ids=[f"{p.split('/')[0]}:{n}" for p, n, *_ in REAL_LINES])
def test_real_access_log_user_agents(realdata, path, line_no, from_end, expected_ua, klass, tool):
    ua = _user_agent_of(realdata / "access" / path, line_no, from_end)
    assert ua == expected_ua
    row = classify_user_agent(ua)
    assert (row["automation_class"], row["automation_tool"]) == (klass, tool)


def test_real_missing_user_agent_is_empty(realdata):
    # apache_logs line 2 is a request without a User-Agent header ("-").
    path = realdata / "access" / "elastic-examples" / "apache_logs"
    with open(path, encoding="utf-8") as fh:
        number, ua = next((n, _QUOTED.findall(l)[-1]) for n, l in enumerate(fh, 1) if l.rstrip().endswith('"-"'))
    assert ua == "-"
    assert classify_user_agent(ua)["automation_class"] == "empty"


@pytest.mark.parametrize(
    "ua,klass,tool",
    [
        ("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 (KHTML, like Gecko) HeadlessChrome/120.0.6099.109 "
         "Safari/537.36", "headless", "HeadlessChrome"),
        ("Mozilla/5.0 (Macintosh; Intel Mac OS X) AppleWebKit/538.1 (KHTML, like Gecko) PhantomJS/2.1.1 Safari/538.1",
         "headless", "PhantomJS"),
        ("Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/120.0 "
         "Safari/537.36 Selenium/4.15", "headless", "Selenium"),
        ("python-requests/2.31.0", "library", "python-requests"),
        ("Go-http-client/1.1", "library", "Go-http-client"),
        ("curl/8.4.0", "library", "curl"),
        ("Wget/1.21.4", "library", "wget"),
        ("okhttp/4.9.3", "library", "okhttp"),
        ("libwww-perl/6.67", "library", "libwww-perl"),
        ("Java/17.0.2", "library", "Java"),  # ua-parser calls this a Spider device; the library marker wins
        ("Mozilla/5.0 (Windows NT; Windows NT 10.0; de-DE) WindowsPowerShell/5.1.19041.3570", "library", "PowerShell"),
        ("Apache-HttpClient/4.5.14 (Java/17.0.8)", "library", "Apache-HttpClient"),
        ("node-fetch/1.0 (+https://github.com/bitinn/node-fetch)", "library", "node-fetch"),
        ("axios/1.6.2", "library", "axios"),
        ("Python/3.11 aiohttp/3.9.1", "library", "aiohttp"),
        ("Scrapy/2.11.0 (+https://scrapy.org)", "crawler", "Scrapy"),
        ("Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)", "crawler", "Nmap"),
        ("Lynx/2.8.7rel.2 libwww-FM/2.14 SSL-MM/1.4.1 OpenSSL/1.0.1f", "browser", None),
        ("Links (2.7; CYGWIN_NT-5.1 1.7.15(0.260/5/3) i686; GNU C 4.5.3; text)", "browser", None),
        # a phone brand ending in "bot" is not a robot
        ("Mozilla/5.0 (Linux; Android 9; CUBOT X19) AppleWebKit/537.36 (KHTML, like Gecko) Chrome/90.0.4430.210 "
         "Mobile Safari/537.36", "browser", None),
    ],
)
def test_explicit_strings(ua, klass, tool):
    row = classify_user_agent(ua)
    assert (row["automation_class"], row["automation_tool"]) == (klass, tool)


# One example per marker tool, so that every needle/pattern pair is exercised.
TOOL_EXAMPLES = {
    "HeadlessChrome": "Mozilla/5.0 (X11; Linux x86_64) HeadlessChrome/119.0.0.0 Safari/537.36",
    "PhantomJS": "Mozilla/5.0 (Unknown; Linux x86_64) PhantomJS/1.9.8 Safari/534.34",
    "SlimerJS": "Mozilla/5.0 (X11; Linux x86_64; rv:38.0) Gecko/20100101 SlimerJS/0.10.3",
    "Selenium": "Mozilla/5.0 Selenium/4.15 Chrome/120.0",
    "WebDriver": "Mozilla/5.0 (X11; Linux x86_64) WebDriver Firefox/120.0",
    "Puppeteer": "Mozilla/5.0 Puppeteer Chrome/120.0",
    "Playwright": "Mozilla/5.0 Playwright/1.40 Chrome/120.0",
    "HtmlUnit": "HtmlUnit/2.70",
    "jsdom": "Mozilla/5.0 (linux) AppleWebKit/537.36 (KHTML, like Gecko) jsdom/22.1.0",
    "Cypress": "Mozilla/5.0 (X11; Linux x86_64) Cypress/13.6.0 Chrome/114.0 Electron/25.8.4 Safari/537.36",
    "Headless": "Mozilla/5.0 Headless Firefox/120.0",
    "curl": "curl/8.4.0",
    "wget": "Wget/1.21.4",
    "python-requests": "python-requests/2.31.0",
    "python-urllib": "Python-urllib/3.11",
    "python-httpx": "python-httpx/0.25.2",
    "aiohttp": "Python/3.11 aiohttp/3.9.1",
    "Go-http-client": "Go-http-client/2.0",
    "okhttp": "okhttp/4.9.3",
    "libwww-perl": "libwww-perl/6.67",
    "Mechanize": "WWW-Mechanize/2.17",
    "Java-http-client": "Java-http-client/17.0.8",
    "Java": "Java/1.8.0_381",
    "Apache-HttpClient": "Apache-HttpClient/5.2.1 (Java/17.0.8)",
    "Commons-HttpClient": "Jakarta Commons-HttpClient/3.1",
    "PowerShell": "Mozilla/5.0 (Windows NT 10.0; Microsoft Windows 10.0.19045; de-DE) PowerShell/7.4.0",
    "node-fetch": "node-fetch",
    "axios": "axios/1.6.2",
    "undici": "undici",
    "Guzzle": "GuzzleHttp/7",
    "HTTP_Request2": "HTTP_Request2/2.5.1 (https://github.com/pear/HTTP_Request2) PHP/8.2.12",
    "Postman": "PostmanRuntime/7.36.0",
    "Insomnia": "insomnia/8.4.5",
    "HTTPie": "HTTPie/3.2.2",
    "reqwest": "reqwest/0.11.22",
    "Ruby": "Ruby",
    "Faraday": "Faraday v2.7.12",
    "Dart": "Dart/3.2 (dart:io)",
    "libfetch": "fetch libfetch/2.0",
    "Indy": "Mozilla/3.0 (compatible; Indy Library)",
    "Scrapy": "Scrapy/2.11.0 (+https://scrapy.org)",
    "Nmap": "Mozilla/5.0 (compatible; Nmap Scripting Engine; https://nmap.org/book/nse.html)",
    "sqlmap": "sqlmap/1.7.11#stable (https://sqlmap.org)",
    "Nikto": "Mozilla/5.00 (Nikto/2.5.0) (Evasions:None) (Test:000003)",
    "masscan": "masscan/1.3 (https://github.com/robertdavidgraham/masscan)",
    "zgrab": "Mozilla/5.0 zgrab/0.x",
    "Nuclei": "Mozilla/5.0 (Windows NT 10.0) Nuclei - Open-source project (github.com/projectdiscovery/nuclei)",
    "WPScan": "WPScan v3.8.25 (https://wpscan.com/wordpress-security-scanner)",
}


def test_every_marker_is_exercised_and_well_formed():
    assert {marker.tool for marker in MARKERS} == set(TOOL_EXAMPLES)
    for marker in MARKERS:
        assert marker.needle == marker.needle.lower(), marker
        assert marker.automation_class in AUTOMATION_CLASSES, marker
    for tool, ua in TOOL_EXAMPLES.items():
        row = classify_user_agent(ua)
        expected = next(m.automation_class for m in MARKERS if m.tool == tool)
        assert (row["automation_class"], row["automation_tool"]) == (expected, tool), ua
