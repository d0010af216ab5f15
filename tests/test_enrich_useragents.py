"""User-Agent classification: uap-core's own expectations, the user-agents
library's rules on the fast parser, fingerprints."""

from __future__ import annotations

import pytest
import yaml
from user_agents import parse as library_parse

from forensics.enrich import classify_user_agent, fingerprint_family
from forensics.enrich.useragents import parse_user_agent

Loader = getattr(yaml, "CSafeLoader", yaml.SafeLoader)


def _cases(realdata, name):
    with open(realdata / "uap-core" / name, encoding="utf-8") as fh:
        return yaml.load(fh, Loader=Loader)["test_cases"]


def test_browser_family_and_major_agree_with_uap_core(realdata):
    cases = _cases(realdata, "test_ua.yaml")
    agree = sum(
        1
        for case in cases
        if (row := classify_user_agent(case["user_agent_string"]))["browser_family"] == case["family"]
        and row["browser_major"] == case["major"]
    )
    rate = agree / len(cases)
    print(f"browser family + major: {agree}/{len(cases)} = {rate:.4%} agree with uap-core test_ua.yaml")
    assert len(cases) > 1500
    assert rate >= 0.99


def test_os_family_agrees_with_uap_core(realdata):
    cases = _cases(realdata, "test_os.yaml")
    agree = sum(1 for case in cases if classify_user_agent(case["user_agent_string"])["os_family"] == case["family"])
    rate = agree / len(cases)
    print(f"OS family: {agree}/{len(cases)} = {rate:.4%} agree with uap-core test_os.yaml")
    assert len(cases) > 400
    assert rate >= 0.99


def test_leading_zero_versions_are_kept_as_written(realdata):
    # uap-core expects "05" for Obigo Q05A; the library's int conversion would say "5".
    row = classify_user_agent(
        "PantechP7040/JLUS04042011 Browser/Obigo/Q05A OMC/1.5.3 Profile/MIDP-2.1 Configuration/CLDC-1.1"
    )
    assert (row["browser_family"], row["browser_major"]) == ("Obigo", "05")


def test_fast_parser_gives_the_librarys_classification(realdata):
    """Same browser/OS/device tuples and the same is_* verdicts as user_agents.parse."""
    # Every 60th string of the 16,129 in uap-core's test_device.yaml (the
    # vendored excerpt holds exactly those; see tests/data/uap-core/SOURCE.md).
    strings = [case["user_agent_string"] for case in _cases(realdata, "test_device.every-60th.yaml")]
    assert len(strings) > 250
    for ua in strings:
        slow, fast = library_parse(ua), parse_user_agent(ua)
        assert (fast.browser, fast.os, fast.device) == (slow.browser, slow.os, slow.device), ua
        assert (fast.is_mobile, fast.is_tablet, fast.is_pc, fast.is_bot, fast.is_touch_capable) == (
            slow.is_mobile,
            slow.is_tablet,
            slow.is_pc,
            slow.is_bot,
            slow.is_touch_capable,
        ), ua


CHROME_119 = (
    "Mozilla/5.0 (Windows NT 10.0; Win64; x64) AppleWebKit/537.36 (KHTML, like Gecko) "
    "Chrome/119.0.6045.200 Safari/537.36"
)
CHROME_120 = CHROME_119.replace("119.0.6045.200", "120.0.6099.109")


def test_desktop_chrome_row():
    row = classify_user_agent(CHROME_120)
    assert row == {
        "user_agent": CHROME_120,
        "browser_family": "Chrome",
        "browser_version": "120.0.6099.109",
        "browser_major": "120",
        "os_family": "Windows",
        "os_version": "10",
        "device_family": "Other",
        "device_brand": None,
        "device_model": None,
        "device_class": "pc",
        "is_bot": False,
        "automation_class": "browser",
        "automation_tool": None,
        "fingerprint_exact": CHROME_120,
        "fingerprint_family": "Chrome|Windows|pc",
        "parser_version": row["parser_version"],
    }
    assert "user-agents" in row["parser_version"] and "ua-parser" in row["parser_version"]


def test_browser_update_keeps_the_drift_tolerant_fingerprint():
    old, new = classify_user_agent(CHROME_119), classify_user_agent(CHROME_120)
    assert old["fingerprint_exact"] != new["fingerprint_exact"]
    assert old["fingerprint_family"] == new["fingerprint_family"] == fingerprint_family("Chrome", "Windows", "pc")
    assert (old["browser_major"], new["browser_major"]) == ("119", "120")


@pytest.mark.parametrize(
    "ua,device_class",
    [
        # real strings from the zanbil access log (lines 2 and 1)
        (
            "Mozilla/5.0 (Linux; Android 6.0; ALE-L21 Build/HuaweiALE-L21) AppleWebKit/537.36 "
            "(KHTML, like Gecko) Chrome/66.0.3359.158 Mobile Safari/537.36",
            "mobile",
        ),
        ("Mozilla/5.0 (compatible; AhrefsBot/6.1; +http://ahrefs.com/robot/)", "bot"),
        (
            "Mozilla/5.0 (iPad; CPU OS 17_1 like Mac OS X) AppleWebKit/605.1.15 (KHTML, like Gecko) "
            "Version/17.1 Mobile/15E148 Safari/604.1",
            "tablet",
        ),
        (CHROME_120, "pc"),
        ("curl/8.4.0", "other"),
    ],
)
def test_device_class(ua, device_class):
    assert classify_user_agent(ua)["device_class"] == device_class


@pytest.mark.parametrize("ua", ["", "-"])
def test_empty_user_agents_are_their_own_class(ua):
    row = classify_user_agent(ua)
    assert row["automation_class"] == "empty"
    assert row["automation_tool"] is None
    assert row["user_agent"] == ua
