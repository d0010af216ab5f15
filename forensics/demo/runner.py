"""`forensics demo`: the whole pipeline on the generated sample case.

`run_demo(directory)` writes the sample (`forensics.demo.generator`), then
runs ingest → enrich → investigate → report through the same library API
the CLI and the notebooks use (`forensics.Case`), and returns what happened
step by step.  The CLI (`forensics.cli.demo`) only prints it.
"""

from __future__ import annotations

import contextlib
import datetime as dt
import gc
import json
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import Callable

from forensics.demo.generator import (ACCESS_LOG, DEFAULT_SEED, MANIFEST, PANEL_LOG, Dispute, SampleManifest,
                                      generate_sample)
from forensics.english import counted
from forensics.errors import ForensicsError

CASE_FILE = "demo-case.duckdb"
DEFAULT_DIR = "forensics-demo"
PROVIDER = "Example Hosting GmbH (demo)"
# The report date is fixed so that the demo's PDFs are reproducible.
REPORT_DATE = dt.date(2026, 4, 15)


@dataclass
class Step:
    name: str                 # generate | ingest | enrich | investigate | report
    seconds: float
    summary: str              # one line for people


@dataclass
class DisputeOutcome:
    """One scripted dispute: what the pipeline said and what was expected."""

    dispute: Dispute
    investigation: object                        # forensics.investigate.model.Investigation
    finding: object | None                       # the ActionFinding of the disputed action
    report_path: Path | None = None
    report_sha256: str | None = None

    @property
    def assessment(self) -> str | None:
        """The action dispute's assessment; for an outage, its claim's classification."""
        if self.dispute.kind == "outage":
            claims = getattr(self.investigation, "outage_claims", [])
            return claims[0].classification if claims else None
        return getattr(self.finding, "assessment", None)

    @property
    def as_expected(self) -> bool:
        return self.assessment == self.dispute.expected_assessment


@dataclass
class NoticeOutcome:
    """The notices dispute: what the pipeline said and what was expected."""

    dispute: object                              # forensics.demo.story_notices.NoticeDispute
    investigation: object                        # forensics.investigate.notices.model.NoticesInvestigation
    report_path: Path | None = None
    report_sha256: str | None = None

    @property
    def outcomes(self) -> list[tuple[str, str]]:
        """(channel, outcome) of each contact attempt that is not routine mail."""
        return [(c.channel, c.outcome) for c in self.investigation.contacts if not c.routine]

    @property
    def as_expected(self) -> bool:
        classes = tuple((c.text, c.classification) for c in self.investigation.claims)
        return classes == tuple(self.dispute.expected_claims) and \
            tuple(self.outcomes) == tuple(self.dispute.expected_outcomes)


@dataclass
class DemoResult:
    directory: Path
    case_path: Path
    manifest: SampleManifest
    steps: list[Step] = field(default_factory=list)
    outcomes: list[DisputeOutcome] = field(default_factory=list)
    notice_outcomes: list[NoticeOutcome] = field(default_factory=list)
    wall_seconds: float | None = None            # the whole run (reports may render side by side)

    @property
    def seconds(self) -> float:
        """How long the run took (wall clock); the steps' own times may overlap."""
        return self.wall_seconds if self.wall_seconds is not None else sum(s.seconds for s in self.steps)


def _clear_previous_run(directory: Path) -> None:
    """A re-run starts from a fresh case, but only in a directory the demo wrote."""
    case_path = directory / CASE_FILE
    if not case_path.exists():
        return
    try:
        written_by_demo = json.loads((directory / MANIFEST).read_text(encoding="utf-8")).get(
            "generator") == "forensics.demo.generator"
    except (OSError, ValueError):
        written_by_demo = False
    if not written_by_demo:
        raise ForensicsError(f"{case_path} exists and {directory} is not a demo directory; choose another DIR")
    case_path.unlink()
    wal = case_path.with_name(case_path.name + ".wal")
    if wal.exists():
        wal.unlink()


def run_demo(directory: str | Path = DEFAULT_DIR, *, seed: int = DEFAULT_SEED, accounts: int = 200,
             months: int = 15, lang: str = "en",
             on_step: Callable[[Step], None] | None = None) -> DemoResult:
    """Generate the sample case into `directory` and run the whole pipeline on it.

    Args:
        directory: where the sample logs, the case file and the PDFs go.
        seed / accounts / months: passed to `generate_sample`.
        lang: report language (en, de, cs, pl).
        on_step: called with each finished `Step` (the CLI prints them live).

    Returns:
        A DemoResult with each step's timing and, per scripted dispute, the
        investigation, the disputed action's finding and the report path.
    """
    directory = Path(directory)
    steps: list[Step] = []

    def done(name: str, started: float, summary: str) -> None:
        step = Step(name, time.perf_counter() - started, summary)
        steps.append(step)
        if on_step:
            on_step(step)

    _clear_previous_run(directory)   # before writing anything: refuses a foreign case file
    run_started = time.perf_counter()
    # Overlap on two cores, none of it changing a byte: the sample is written
    # by a forked child while this process loads WeasyPrint (the check that
    # the reports can be rendered at all) and the pipeline's modules, and its
    # two large logs are ingested while the child writes the rest; the report
    # renderers are forked once WeasyPrint is loaded, warm up while the case
    # is ingested and render each report as soon as its investigation is done.
    with _Generator(directory, accounts=accounts, months=months, seed=seed) as sample, \
            _Renderers(lang, sample) as renderers, _frozen_heap() as freeze:
        _load_pipeline()
        freeze()
        result = _run_pipeline(directory, sample, steps, done, renderers, lang, accounts)
        # The reports' steps follow the investigations', in the disputes' order.
        for outcome, (out, rendered, seconds) in zip([*result.outcomes, *result.notice_outcomes], renderers.results()):
            outcome.report_path = Path(getattr(rendered, "path", out))
            outcome.report_sha256 = getattr(rendered, "sha256", None)
            step = Step("report", seconds, f"{outcome.report_path}")
            steps.append(step)
            if on_step:
                on_step(step)
    result.wall_seconds = time.perf_counter() - run_started
    return result


def _run_pipeline(directory: Path, sample: "_Generator", steps: list[Step], done, renderers, lang: str,
                  accounts: int) -> DemoResult:
    """Ingest, enrich and investigate the sample; each investigation's report
    goes to the renderers as soon as it is done."""
    from forensics.case import Case

    case_path = directory / CASE_FILE

    def render(outcome) -> None:
        renderers.submit(outcome.investigation, directory / f"report-{outcome.dispute.account}.pdf",
                         dict(lang=lang, tz=outcome.dispute.tz, report_date=REPORT_DATE,
                              reference=f"DEMO-{outcome.dispute.account}", provider=PROVIDER,
                              command_line=f"forensics demo {directory}"),
                         str(case_path))

    sample.main_logs()      # the panel's audit and access logs are complete
    with Case.open(case_path) as case:
        started = time.perf_counter()
        case.ingest([directory / PANEL_LOG, directory / ACCESS_LOG])
        manifest, generate_seconds = sample.result()
        lines = sum(manifest.counts.values())
        done("generate", time.perf_counter() - generate_seconds,
             f"{lines:,} log lines for {accounts} accounts, "
             f"{manifest.period[0].date().isoformat()} to {manifest.period[1].date().isoformat()}")
        result = DemoResult(directory=directory, case_path=case_path, manifest=manifest, steps=steps)
        case.ingest([manifest.auth_log], tz=manifest.auth_log_tz, host=manifest.auth_log_host)
        if manifest.contact_files:
            # the mail server's year-less syslog is in UTC, like the auth log
            case.ingest(manifest.contact_files, tz=manifest.mail_log_tz)
        for path, host in manifest.story_logs:    # the outage story: monitoring, the VM's syslog, its shop's access log
            case.ingest([path], host=host)
        events, rejected, files = case.con.execute(
            "SELECT count(*), (SELECT coalesce(sum(lines_rejected), 0) FROM sources), "
            "(SELECT count(*) FROM sources) FROM events").fetchone()
        done("ingest", started, f"{events:,} events from {files} files ({rejected:,} lines rejected)")

        started = time.perf_counter()
        enriched = case.enrich(geoip_paths=list(manifest.geoip_db))
        done("enrich", started, _enrich_summary(enriched))

        for dispute in manifest.disputes:
            started = time.perf_counter()
            if dispute.kind == "outage":
                from forensics.investigate.outage import investigate_outage

                investigation = investigate_outage(case, dispute.account, target=dispute.target,
                                                   aliases=dispute.aliases, since=dispute.since.date().isoformat(),
                                                   until=dispute.until.date().isoformat(), claims=dispute.claims,
                                                   tz=dispute.tz)
                outcome = DisputeOutcome(dispute=dispute, investigation=investigation, finding=None)
                result.outcomes.append(outcome)
                render(outcome)
                done("investigate", started, f"{dispute.account}: {counted(len(investigation.outage.windows), 'outage')}, "
                                             f"{counted(len(investigation.outage_claims), 'claim')}")
                continue
            investigation = case.investigate(dispute.account, action=dispute.action, target=dispute.target,
                                             since=dispute.since, until=dispute.until, claims=dispute.claims,
                                             tz=dispute.tz)
            finding = _finding_for(investigation, dispute)
            outcome = DisputeOutcome(dispute=dispute, investigation=investigation, finding=finding)
            result.outcomes.append(outcome)
            render(outcome)
            done("investigate", started,
                 f"{dispute.account}: {counted(len(investigation.findings), 'disputed action')}, "
                 f"{counted(len(investigation.claims), 'claim')}")

        for dispute in manifest.notice_disputes:
            started = time.perf_counter()
            investigation = case.investigate_notices(dispute.account, since=dispute.since, until=dispute.until,
                                                     claims=dispute.claims, tz=dispute.tz)
            outcome = NoticeOutcome(dispute=dispute, investigation=investigation)
            result.notice_outcomes.append(outcome)
            render(outcome)
            done("investigate", started,
                 f"{dispute.account}: {counted(sum(1 for c in investigation.contacts if not c.routine), 'contact attempt')}, "
                 f"{counted(len(investigation.claims), 'claim')}")
    return result


def _load_pipeline() -> None:
    """Import the pipeline's modules (pandas among them) and read the shipped
    format definitions, about half a second of CPU, while the forked
    generator writes the sample; the steps would otherwise load them one
    after the other."""
    from forensics.case import Case  # noqa: F401
    from forensics.enrich import engine  # noqa: F401
    from forensics.ingest import engine as _engine, registry  # noqa: F401
    from forensics.investigate import notices, outage  # noqa: F401

    registry.all_formats()


@contextlib.contextmanager
def _frozen_heap():
    """Yields `freeze`: what is loaded when it is called (the pipeline's
    modules, some hundred thousand objects) is left out of the collector's
    full passes (`gc.freeze()`) until the run ends.  Each such pass walked
    them all to find nothing to free: 0.1-0.3 s during ingest.  A caller's
    own freeze is left as it is."""
    outer = gc.get_freeze_count()

    def freeze() -> None:
        if not outer:
            gc.freeze()

    try:
        yield freeze
    finally:
        if not outer:
            gc.unfreeze()


def _forking() -> bool:
    """Forked helpers (the generator, the renderers) on Linux only: they
    inherit what this process has loaded; elsewhere everything runs here,
    one step after the other."""
    import multiprocessing
    import sys

    return sys.platform.startswith("linux") and "fork" in multiprocessing.get_all_start_methods()


class _Generator:
    """`generate_sample` in a forked child (or here, in `main_logs`).

    `main_logs()` waits until the panel's audit and access logs are
    complete, `result()` for (manifest, seconds the generator took).
    """

    def __init__(self, directory: Path, **options):
        self.directory, self.options = directory, options
        self.child = self.pipe = self.done = None
        self.created = False

    def __enter__(self) -> "_Generator":
        if _forking():
            self.created = not self.directory.exists()
            import multiprocessing

            context = multiprocessing.get_context("fork")
            self.pipe, child_end = context.Pipe(duplex=False)
            self.child = context.Process(target=_generate_in_child, args=(child_end, self.directory, self.options),
                                         daemon=True)
            self.child.start()
            child_end.close()
        return self

    def _receive(self, wanted: str):
        while True:
            try:
                what, value = self.pipe.recv()
            except EOFError:
                raise ForensicsError("the sample generator stopped without a result") from None
            if what == "error":
                raise value
            if what == wanted:
                return value

    def main_logs(self) -> None:
        if self.child is None:
            started = time.perf_counter()
            self.done = (generate_sample(self.directory, **self.options), time.perf_counter() - started)
        else:
            self._receive("main_logs")

    def result(self) -> tuple[SampleManifest, float]:
        if self.done is None:
            self.done = self._receive("done")
        return self.done

    def abandon(self) -> None:
        """Stop the child and remove what it wrote, when the directory is
        its own (it did not exist before this run): the run cannot go on."""
        if self.child is None:
            return
        if self.child.is_alive():
            self.child.terminate()
        self.child.join()
        if self.created:
            import shutil

            shutil.rmtree(self.directory, ignore_errors=True)

    def __exit__(self, *exc) -> None:
        if self.child is not None:
            if self.child.is_alive() and exc[0] is not None:
                self.child.terminate()   # the run failed: nothing of it is wanted any more
            self.child.join()
            self.pipe.close()


def _generate_in_child(pipe, directory: Path, options: dict) -> None:
    started = time.perf_counter()
    try:
        manifest = generate_sample(directory, on_main_logs=lambda: pipe.send(("main_logs", None)), **options)
        pipe.send(("done", (manifest, time.perf_counter() - started)))
    except Exception as exc:    # handed to the parent, which raises it
        try:
            pipe.send(("error", exc))
        except Exception:        # not picklable: its sentence
            pipe.send(("error", ForensicsError(f"the sample generator failed: {exc}")))
    finally:
        pipe.close()


def _warm_renderer(lang: str) -> None:
    import os

    from forensics.report.render import warm_up

    os.nice(5)      # the pipeline's own process goes first while both run
    warm_up(lang)


def _render_job(investigation, out, options: dict, case_label: str):
    from forensics.report import render_report

    started = time.perf_counter()
    rendered = render_report(investigation, out, case=case_label, **options)
    return out, rendered, time.perf_counter() - started


def _report_workers() -> int:
    """Renderers side by side: one per core (WeasyPrint is single-threaded
    Python), forked (they inherit the loaded renderer)."""
    import os

    if not _forking():
        return 0
    cores = len(os.sched_getaffinity(0)) if hasattr(os, "sched_getaffinity") else (os.cpu_count() or 1)
    return max(1, min(2, cores))


class _Renderers:
    """The report renderers, forked before the pipeline starts.

    Each one imports WeasyPrint, reads the catalogs, compiles the templates
    and loads the fonts (`forensics.report.render.warm_up`) while the case is
    generated and ingested; `submit` hands it an investigation as soon as it
    is done, `results` yields (out, ReportResult, seconds) in the order of
    submission.  A PDF is a function of its investigation and options, so it
    has the same bytes whichever process renders it, and when.  Without fork
    the reports are rendered here, one after the other, in `results`.
    """

    def __init__(self, lang: str, sample: _Generator):
        self.lang, self.sample = lang, sample
        self.pool = None
        self.jobs: list = []

    def __enter__(self) -> "_Renderers":
        from forensics.report.render import require_weasyprint

        # Imported once, before the fork, for every renderer.  Without the
        # system libraries the run stops here, saying which packages are
        # missing, and leaves no sample behind (a forked generator has just
        # begun writing it).
        try:
            require_weasyprint()
        except ForensicsError:
            self.sample.abandon()
            raise
        workers = _report_workers()
        if workers:
            import multiprocessing

            self.pool = multiprocessing.get_context("fork").Pool(workers, initializer=_warm_renderer,
                                                                  initargs=(self.lang,))
        return self

    def submit(self, investigation, out: Path, options: dict, case_label: str) -> None:
        job = (investigation, out, options, case_label)
        self.jobs.append(self.pool.apply_async(_render_job, job) if self.pool is not None else job)

    def results(self):
        for job in self.jobs:
            yield job.get() if self.pool is not None else _render_job(*job)

    def __exit__(self, *exc) -> None:
        if self.pool is not None:
            self.pool.terminate()   # every result was collected, or the run failed
            self.pool.join()


def _finding_for(investigation, dispute: Dispute):
    """The finding about the scripted disputed action (closest in time)."""
    candidates = [f for f in investigation.findings if f.action.event == dispute.action] or investigation.findings
    if not candidates:
        return None
    return min(candidates, key=lambda f: abs((f.action.ts - dispute.action_time).total_seconds()))


def _enrich_summary(enriched) -> str:
    uas = getattr(enriched, "new_user_agents", None)
    ips = getattr(enriched, "new_ips", None)
    if uas is None or ips is None:
        return "user agents and addresses enriched"
    return f"{uas:,} user agents, {ips:,} addresses (GeoLite2-ASN + GeoLite2-City demo databases)"
