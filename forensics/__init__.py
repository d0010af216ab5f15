"""forensics: evidence for hosting-provider disputes.

The pipeline is the architecture: ingest → enrich → investigate → report, one
DuckDB case file flowing through it.  Import cheaply: heavy modules (pandas,
weasyprint) load only when a stage runs.
"""

__version__ = "0.1.0"

__all__ = ["Case", "__version__"]


def __getattr__(name):  # lazy, so `import forensics` stays fast for the CLI
    if name == "Case":
        from forensics.case import Case

        return Case
    raise AttributeError(name)
