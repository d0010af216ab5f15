"""Stage package: report.

`render_report(investigation, out_path, ...)` renders an `Investigation` as
an ISO-dated PDF/A-3b evidence report with the evidence embedded (see
`forensics.report.render`).  Imported lazily: WeasyPrint loads only when a
report is rendered.
"""

__all__ = ["render_report", "ReportResult"]


def __getattr__(name):
    if name in __all__:
        from forensics.report import render

        return getattr(render, name)
    raise AttributeError(name)
