"""forensics: evidence for hosting-provider disputes.

The pipeline is the architecture: ingest → enrich → investigate → report, one
DuckDB case file flowing through it.  Import cheaply: heavy modules (pandas,
weasyprint) load only when a stage runs.
"""

import warnings

__version__ = "0.1.0"

# DuckDB's `.df()` calls `DataFrame.drop(inplace=True)` internally, which
# pandas 3.1 deprecates; every query result would warn (in notebooks too).
# The code here never uses `inplace`, so this exact message is silenced.
warnings.filterwarnings("ignore", message="The inplace keyword in DataFrame.drop is deprecated")

__all__ = ["Case", "__version__"]


def __getattr__(name):  # lazy, so `import forensics` stays fast for the CLI
    if name == "Case":
        from forensics.case import Case

        return Case
    raise AttributeError(name)
