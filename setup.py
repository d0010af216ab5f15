# Metadata lives in setup.cfg.  Only the package list is computed here: the
# top-level queries/ and report_templates/ folders are installed as
# forensics.queries and forensics.report_templates (package_dir in setup.cfg),
# which `find_packages` alone cannot express.
from setuptools import find_packages, setup

setup(packages=find_packages(include=["forensics", "forensics.*"]) + ["forensics.queries", "forensics.report_templates"])
