"""User-Agent strings → browser, OS, device, device class and fingerprints.

The classification (is it a phone, a tablet, a PC, a bot?) is the
`user-agents` library's.  Its own `user_agents.parse` runs ua-parser's
pure-Python legacy API (~1,000 strings/s); here the same `UserAgent` class is
fed from ua-parser 1.0's fastest available resolver (the Rust `ua-parser-rs`
accelerator when installed, ~30,000 strings/s), so every `is_mobile` /
`is_tablet` / `is_pc` / `is_bot` rule is still the library's.
"""

from __future__ import annotations

from functools import lru_cache
from importlib import metadata

import ua_parser
from ua_parser import BestAvailableResolver, Domain, load_lazy_builtins
from user_agents.parsers import UserAgent, parse_browser, parse_device, parse_operating_system

from forensics.enrich.automation import automation_class

# Columns of the user_agents table, in schema order.
USER_AGENT_COLUMNS = (
    "user_agent",
    "browser_family",
    "browser_version",
    "browser_major",
    "os_family",
    "os_version",
    "device_family",
    "device_brand",
    "device_model",
    "device_class",
    "is_bot",
    "automation_class",
    "automation_tool",
    "fingerprint_exact",
    "fingerprint_family",
    "parser_version",
)


class FastUserAgent(UserAgent):
    """`user_agents.parsers.UserAgent` built from a ua-parser 1.0 result.

    The base class parses in its constructor with the legacy API; this
    subclass takes the already parsed ``ua_parser.DefaultedResult`` and
    fills the same attributes (``browser``, ``os``, ``device``,
    ``ua_string``) with the library's own helpers, so all of its
    properties behave exactly as for `user_agents.parse`.
    """

    def __init__(self, ua_string: str, result: ua_parser.DefaultedResult):  # noqa: D107 (no super(): it would re-parse)
        self.ua_string = ua_string
        self.result = result
        browser, os_, device = result.user_agent, result.os, result.device
        self.browser = parse_browser(browser.family, browser.major, browser.minor, browser.patch, browser.patch_minor)
        self.os = parse_operating_system(os_.family, os_.major, os_.minor, os_.patch, os_.patch_minor)
        self.device = parse_device(device.family, device.brand, device.model)


@lru_cache(maxsize=1)
def _resolver():
    # No cache layer: enrichment sees each distinct string once.
    return BestAvailableResolver(load_lazy_builtins())


@lru_cache(maxsize=1)
def parser_version() -> str:
    """The parser stack that classified the strings (stored per row)."""

    def version(dist: str) -> str:
        try:
            return metadata.version(dist)
        except metadata.PackageNotFoundError:
            return "?"

    resolver = type(_resolver()).__module__.rsplit(".", 1)[-1]
    return (
        f"user-agents {version('user-agents')}; ua-parser {version('ua-parser')} ({resolver} resolver); "
        f"regexes ua-parser-builtins {version('ua-parser-builtins')}"
    )


def parse_user_agent(ua: str) -> FastUserAgent:
    """Parse one string into a user-agents `UserAgent` (fast path)."""
    result = _resolver()(ua, Domain.ALL).complete().with_defaults()
    return FastUserAgent(ua, result)


def device_class(agent: UserAgent) -> str:
    """``bot``, ``tablet``, ``mobile``, ``pc`` or ``other`` (in that precedence).

    Bots first: Googlebot-Mobile is "mobile" to the library but a robot to us.
    Tablets before phones: the library can call an Android tablet both.
    """
    if agent.is_bot:
        return "bot"
    if agent.is_tablet:
        return "tablet"
    if agent.is_mobile:
        return "mobile"
    if agent.is_pc:
        return "pc"
    return "other"


def classify_user_agent(ua: str) -> dict:
    """The ``user_agents`` row for one User-Agent string.

    Args:
        ua: the exact string as logged (``""`` and ``"-"`` are classed ``empty``).

    Returns:
        A dict with the columns of the ``user_agents`` table.

    Example:
        >>> row = classify_user_agent("Mozilla/5.0 (X11; Linux x86_64) AppleWebKit/537.36 "
        ...     "(KHTML, like Gecko) HeadlessChrome/120.0.6099.109 Safari/537.36")
        >>> row["automation_class"], row["automation_tool"], row["browser_major"]
        ('headless', 'HeadlessChrome', '120')
    """
    agent = parse_user_agent(ua)
    browser, os_, device = agent.browser, agent.os, agent.device
    dclass = device_class(agent)
    is_bot = bool(agent.is_bot)
    auto_class, tool = automation_class(ua, browser.family, is_bot)
    # Versions as ua-parser read them ("05" stays "05"); the library turns
    # digit strings into ints, which would lose leading zeros.
    raw_browser, raw_os = agent.result.user_agent, agent.result.os
    return {
        "user_agent": ua,
        "browser_family": browser.family,
        "browser_version": _dotted(raw_browser.major, raw_browser.minor, raw_browser.patch, raw_browser.patch_minor),
        "browser_major": raw_browser.major,
        "os_family": os_.family,
        "os_version": _dotted(raw_os.major, raw_os.minor, raw_os.patch, raw_os.patch_minor),
        "device_family": device.family,
        "device_brand": device.brand,
        "device_model": device.model,
        "device_class": dclass,
        "is_bot": is_bot,
        "automation_class": auto_class,
        "automation_tool": tool,
        "fingerprint_exact": ua,
        # Drift-tolerant: the same browser on the same system after an update.
        "fingerprint_family": fingerprint_family(browser.family, os_.family, dclass),
        "parser_version": parser_version(),
    }


def fingerprint_family(browser_family: str, os_family: str, device_class_: str) -> str:
    """The drift-tolerant fingerprint: ``"Chrome|Windows|pc"``."""
    return f"{browser_family}|{os_family}|{device_class_}"


def _dotted(*parts: str | None) -> str | None:
    """``"120.0.6099.109"``; stops at the first missing part."""
    present = []
    for part in parts:
        if part is None or part == "":
            break
        present.append(part)
    return ".".join(present) or None
