"""The outage investigation on generated variants (forensics.demo.story_outage):
each writes the monitoring, the VM's syslog, the shop's access log and the
panel log as the real systems write them, ingests them, and investigates."""

from __future__ import annotations

import datetime as dt
import json
from pathlib import Path

import jsonschema
import pytest

from forensics.case import Case
from forensics.demo.story_outage import Outage, OutageScenario, ingest, write_logs
from forensics.errors import ForensicsError
from forensics.investigate.outage import investigate_outage

UTC = dt.timezone.utc
SCHEMA = json.loads((Path(__file__).parents[1] / "forensics/investigate/outage/outage.schema.json").read_text())


def t(text: str) -> dt.datetime:
    return dt.datetime.fromisoformat(text).astimezone(UTC)


def build(tmp_path_factory, name: str, scenario: OutageScenario) -> Path:
    d = tmp_path_factory.mktemp(name)
    logs = write_logs(d, scenario, panel=True)
    with Case.open(d / "case.duckdb") as case:
        ingest(case, logs, scenario)
    return d / "case.duckdb"


def run(path, scenario, **kw):
    with Case.open(path, read_only=True) as case:
        return investigate_outage(case, scenario.account, target=f"{scenario.service},{scenario.domain}", **kw)


# -- a host's mainboard fails: about a day down, the notice mailed during it
MAINBOARD = OutageScenario(outages=[Outage(t("2026-03-09T03:12:00+00:00"), t("2026-03-10T02:41:00+00:00"),
                                           cause="hardware", notice="during")], end=t("2026-04-01T00:00:01+00:00"))


@pytest.fixture(scope="module")
def mainboard(tmp_path_factory):
    return build(tmp_path_factory, "mainboard", MAINBOARD)


def test_mainboard_window_cause_and_notice(mainboard):
    inv = run(mainboard, MAINBOARD, since="2026-03-01", until="2026-03-31",
              claims=["the server was down for three days"])
    (w,) = inv.outage.windows
    # the first SOFT attempt starts it; the HTTP service's recovery ends it
    assert w.start == t("2026-03-09T03:12:00+00:00")
    assert w.end == t("2026-03-10T02:41:40+00:00")
    assert round(w.duration_s / 3600, 2) == 23.49
    assert w.confirmed and w.hard and w.failed_checks >= 3
    assert w.start_ref.raw.endswith("HOST ALERT: vps-31337;DOWN;SOFT;1;CRITICAL - Host Unreachable (203.0.113.37)")
    assert w.end_ref.raw.startswith(f"[{int(t('2026-03-10T02:41:40+00:00').timestamp())}] SERVICE ALERT: vps-31337;HTTP;OK")
    assert w.cause == "hardware_failure"
    assert w.causes[0].evidence[0].event == "hardware_failure"
    assert w.announcement == "during" and w.notices[0].event == "notification_sent"
    assert not w.excluded
    assert w.server_log.verdict == "silent_then_boot" and w.access_log.verdict == "silent"
    assert w.corroboration == "corroborated"
    assert [x.event for x in w.life_signs] == ["boot", "startup_finished"]
    # the one SOFT blip of 61 s is listed, never counted
    assert len(inv.outage.unconfirmed) == 1 and inv.outage.unconfirmed[0].duration_s == 61.0
    march = next(p for p in inv.outage.sla if p.label == "2026-03")
    assert march.complete and march.unmonitored_s == 0
    assert march.down_s == w.duration_s
    assert march.availability_percent == round(100 * (1 - w.duration_s / (31 * 86400)), 3) == 96.842
    assert march.verdict == "missed"
    (claim,) = inv.outage_claims
    assert claim.classification == "overstated"
    assert claim.measured_duration_s == w.duration_s and claim.claimed_duration_s == 3 * 86400
    jsonschema.validate(inv.to_dict(), SCHEMA)


def test_claims_in_four_languages(mainboard):
    inv = run(mainboard, MAINBOARD, since="2026-03-01", until="2026-03-12", claims=[
        "the server was down for three days", "seit Montag nicht erreichbar", "server nešel celý týden",
        "strona nie działała od 3 dni"])
    got = {c.text: c for c in inv.outage_claims}
    assert {c.language for c in inv.outage_claims} == {"en", "de", "cs", "pl"}
    # "since Monday", written by the end of 2026-03-12 (a Thursday): from Monday 2026-03-09
    monday = got["seit Montag nicht erreichbar"]
    assert monday.anchored and monday.claimed_start == t("2026-03-09T00:00:00+00:00")
    assert monday.claimed_end == t("2026-03-13T00:00:00+00:00")
    assert monday.classification == "overstated"
    assert got["server nešel celý týden"].claimed_duration_s == 7 * 86400
    assert got["strona nie działała od 3 dni"].claimed_duration_s == 3 * 86400
    assert all(c.classification == "overstated" for c in inv.outage_claims)
    assert all(round(c.measured_duration_s / 3600, 1) in (23.5,) for c in inv.outage_claims)


# -- a real multi-day outage, seen by two probes of the native check export
MULTIDAY = OutageScenario(monitoring="checks", outages=[Outage(t("2026-03-06T22:00:00+00:00"),
                                                               t("2026-03-09T23:40:00+00:00"), cause="hardware")],
                          end=t("2026-03-16T00:00:00+00:00"), seed="multi-day")


@pytest.fixture(scope="module")
def multiday(tmp_path_factory):
    return build(tmp_path_factory, "multiday", MULTIDAY)


def test_real_multi_day_outage_is_supported(multiday):
    inv = run(multiday, MULTIDAY, since="2026-03-01", until="2026-03-12",
              claims=["the server was down for three days", "seit Freitag nicht erreichbar"])
    (w,) = inv.outage.windows
    assert w.probes == ["ams2", "fra1"] and w.probes_monitoring == 2
    # five-minute checks: the first down result at 22:00, the first up one at 23:40
    assert w.start.replace(second=0) == t("2026-03-06T22:00:00+00:00")
    assert w.end.replace(second=0) == t("2026-03-09T23:40:00+00:00")
    assert w.failed_checks == 2 * (3 * 24 * 12 + 20)
    assert w.announcement == "none" and w.cause == "hardware_failure"
    assert w.corroboration == "corroborated"
    three, friday = inv.outage_claims
    assert three.classification == "supported"
    # Friday 2026-03-06 00:00 to the end of 2026-03-12: 7 days claimed, 3 days 2 h measured
    assert friday.claimed_start == t("2026-03-06T00:00:00+00:00") and friday.classification == "overstated"
    assert not inv.outage.gaps


# -- two hours down, claimed as three days
SHORT = OutageScenario(monitoring="checks", outages=[Outage(t("2026-03-04T10:00:00+00:00"),
                                                            t("2026-03-04T12:00:00+00:00"), cause="hardware",
                                                            notice="during")],
                       end=t("2026-03-12T00:00:00+00:00"), seed="short")


def test_short_outage_claimed_long_is_overstated(tmp_path_factory):
    path = build(tmp_path_factory, "short", SHORT)
    inv = run(path, SHORT, since="2026-03-01", until="2026-03-11",
              claims=["The website was offline for 3 days", "am 4. März 2 Stunden nicht erreichbar"])
    (w,) = inv.outage.windows
    assert round(w.duration_s / 60) == 120
    long, dated = inv.outage_claims
    assert long.classification == "overstated" and round(long.measured_duration_s / 60) == 120
    assert dated.classification == "supported" and dated.anchored
    assert dated.claimed_start == t("2026-03-04T00:00:00+00:00")


# -- the customer's own reboot from the panel
REBOOT = OutageScenario(monitoring="checks", check_minutes=1,
                        outages=[Outage(t("2026-03-05T19:30:00+00:00"), t("2026-03-05T19:36:00+00:00"),
                                        cause="customer_reboot")],
                        start=t("2026-03-04T00:00:00+00:00"), end=t("2026-03-07T00:00:00+00:00"), seed="reboot")


def test_customer_reboot_is_excluded(tmp_path_factory):
    path = build(tmp_path_factory, "reboot", REBOOT)
    inv = run(path, REBOOT, since="2026-03-04", until="2026-03-06",
              claims=["server was down on 5 March"])
    (w,) = inv.outage.windows
    assert w.cause == "customer_action"
    panel = w.causes[0].evidence[0]
    assert panel.event == "reboot" and panel.actor == "customer" and panel.path.endswith("panel-audit.jsonl")
    assert [c.code for c in w.causes] == ["customer_action", "server_shutdown"]
    assert w.excluded and w.exclusion == "customer_caused"
    march = next(p for p in inv.outage.sla if p.kind == "month")
    assert march.down_s == 0 and march.excluded_s == w.duration_s
    assert march.availability_percent == 100.0
    assert inv.outage_claims[0].classification == "supported"


# -- a gap in the monitoring: never counted as up
GAP = OutageScenario(monitoring="checks", gaps=[(t("2026-03-07T00:00:00+00:00"), t("2026-03-09T00:00:00+00:00"))],
                     end=t("2026-03-12T00:00:00+00:00"), seed="gap")


def test_monitoring_gap_is_not_covered(tmp_path_factory):
    path = build(tmp_path_factory, "gap", GAP)
    inv = run(path, GAP, since="2026-03-01", until="2026-03-10",
              claims=["strona nie działała od 3 dni", "seit Montag nicht erreichbar", "down since 2026-03-02"])
    assert not inv.outage.windows
    (gap,) = [g for g in inv.outage.gaps if g.kind == "silence"]
    assert gap.start.replace(second=0) == t("2026-03-06T23:55:00+00:00")
    assert gap.end.replace(second=0) == t("2026-03-09T00:00:00+00:00")
    assert gap.after_ref is not None and gap.after_ref.raw.startswith('{"ts": "2026-03-09T00:00')
    march = next(p for p in inv.outage.sla if p.kind == "month")
    assert round(march.unmonitored_s / 3600) == 48
    assert march.availability_percent == 100.0 and march.verdict == "undetermined"
    three_days, monday, dated = inv.outage_claims
    assert three_days.classification == "not_covered"     # the gap could hold the outage
    # Monday 2026-03-09 to the end of 2026-03-10: monitored throughout, no outage
    assert monday.claimed_start == t("2026-03-09T00:00:00+00:00") and monday.classification == "contradicted"
    # nine days claimed, seven of them monitored and up: the 48 h gap cannot hold it
    assert dated.claimed_start == t("2026-03-02T00:00:00+00:00") and dated.classification == "contradicted"


def test_monitoring_false_alarm_is_contradicted(tmp_path_factory):
    s = OutageScenario(monitoring="checks", outages=[Outage(t("2026-03-03T08:00:00+00:00"),
                                                            t("2026-03-03T11:00:00+00:00"), cause="monitoring",
                                                            server_alive=True)],
                       end=t("2026-03-06T00:00:00+00:00"), seed="false-alarm")
    path = build(tmp_path_factory, "falsealarm", s)
    inv = run(path, s)
    (w,) = inv.outage.windows
    assert w.server_log.verdict == "active" and w.access_log.verdict == "served"
    assert w.corroboration == "contradicted" and w.cause == "unknown"


def test_no_monitoring_is_one_sentence(mainboard):
    with Case.open(mainboard, read_only=True) as case, pytest.raises(ForensicsError, match="no monitoring results"):
        investigate_outage(case, MAINBOARD.account, target="vps-0000")


# -- announced maintenance: excluded from the availability
MAINTENANCE = OutageScenario(monitoring="checks", outages=[Outage(t("2026-03-05T02:00:00+00:00"),
                                                                  t("2026-03-05T03:30:00+00:00"), cause="maintenance",
                                                                  notice="in_advance")],
                             end=t("2026-03-08T00:00:00+00:00"), seed="maintenance")


def test_announced_maintenance_is_excluded(tmp_path_factory):
    path = build(tmp_path_factory, "maintenance", MAINTENANCE)
    inv = run(path, MAINTENANCE, since="2026-03-01", until="2026-03-07")
    (w,) = inv.outage.windows
    assert w.cause == "provider_maintenance" and w.causes[0].evidence[0].event == "maintenance"
    assert w.announcement == "in_advance"
    assert w.notices[0].ts == t("2026-03-02T02:00:00+00:00")   # three days before
    assert w.excluded and w.exclusion == "announced_maintenance"
    month = next(p for p in inv.outage.sla if p.kind == "month")
    assert month.down_s == 0 and month.excluded_s == w.duration_s


def test_kernel_panic_and_boot_from_the_servers_own_log(tmp_path):
    """A Nagios log and the server's syslog only (no panel, no account):
    the server's last words name the cause, its boot ends the silence."""
    down, up = 1772445600, 1772445600 + 5400          # 2026-03-02T10:00:00Z, 11:30
    (tmp_path / "nagios.log").write_text(
        f"[{down - 86400}] CURRENT HOST STATE: web7;UP;HARD;1;PING OK\n"
        f"[{down}] HOST ALERT: web7;DOWN;SOFT;1;CRITICAL - Host Unreachable\n"
        f"[{down + 60}] HOST ALERT: web7;DOWN;SOFT;2;CRITICAL - Host Unreachable\n"
        f"[{down + 120}] HOST ALERT: web7;DOWN;HARD;3;CRITICAL - Host Unreachable\n"
        f"[{up}] HOST ALERT: web7;UP;HARD;1;PING OK\n"
        f"[{up + 86400}] CURRENT HOST STATE: web7;UP;HARD;1;PING OK\n")
    (tmp_path / "syslog").write_text(
        "2026-03-02T09:50:01.000000+00:00 web7 CRON[811]: (root) CMD (run-parts /etc/cron.hourly)\n"
        "2026-03-02T09:58:40.000000+00:00 web7 kernel: Out of memory: Killed process 4242 (php-fpm8.2) "
        "total-vm:2417660kB, anon-rss:1918032kB, file-rss:0kB, shmem-rss:0kB, UID:33 pgtables:4012kB oom_score_adj:0\n"
        "2026-03-02T09:59:12.000000+00:00 web7 kernel: Kernel panic - not syncing: Out of memory and no killable "
        "processes...\n"
        "2026-03-02T11:28:50.000000+00:00 web7 kernel: Linux version 6.1.0-18-amd64 (debian-kernel@lists.debian.org)\n"
        "2026-03-02T11:29:03.000000+00:00 web7 systemd[1]: Startup finished in 2.1s (kernel) + 7.9s (userspace) = 10.0s.\n"
        "2026-03-02T11:40:01.000000+00:00 web7 CRON[977]: (root) CMD (run-parts /etc/cron.hourly)\n")
    with Case.open(tmp_path / "c.duckdb") as case:
        case.ingest([tmp_path / "nagios.log"])
        case.ingest([tmp_path / "syslog"])
        inv = investigate_outage(case, None, target="web7")
    (w,) = inv.outage.windows
    assert (w.start_ref.line_no, w.end_ref.line_no) == (2, 5) and w.duration_s == 5400
    assert [c.code for c in w.causes] == ["kernel_panic", "out_of_memory"]
    assert w.cause == "kernel_panic" and not w.excluded        # a panic is not the customer's doing
    assert w.causes[0].evidence[0].line_no == 3
    assert w.server_log.verdict == "silent_then_boot" and w.corroboration == "corroborated"
    assert w.access_log.verdict == "not_covered"
    assert [x.event for x in w.life_signs] == ["oom_kill", "kernel_panic", "boot", "startup_finished"]


def test_flapping_service_counts_every_outage_in_the_claimed_time(tmp_path_factory):
    base = t("2026-03-03T00:00:00+00:00")
    hours = dt.timedelta(hours=1)
    s = OutageScenario(monitoring="checks", seed="flapping", end=t("2026-03-10T00:00:00+00:00"),
                       outages=[Outage(base + i * 14 * hours, base + (i * 14 + 10) * hours) for i in range(5)])
    path = build(tmp_path_factory, "flapping", s)
    inv = run(path, s, since="2026-03-01", until="2026-03-08", claims=["the shop was down for three days"])
    assert len(inv.outage.windows) == 5 and all(round(w.duration_s / 3600) == 10 for w in inv.outage.windows)
    (claim,) = inv.outage_claims
    # 50 of the 72 hours claimed were down: more than any one outage, still short of three days
    assert round(claim.measured_duration_s / 3600) == 50 and claim.windows == [1, 2, 3, 4, 5]
    assert claim.classification == "overstated"
