"""queries/ and report_templates/ must be installed with the package.

A plain `pip install .` into a fresh venv (no editable magic) must find them.
The venv sees this interpreter's site-packages for the dependencies, so the
test installs only the project itself (no network needed beyond setuptools,
and wheel, which the test extra installs).
"""

import subprocess
import sys
import venv

from conftest import ROOT


def test_plain_install_ships_queries_and_templates(tmp_path):
    env_dir = tmp_path / "venv"
    venv.EnvBuilder(system_site_packages=True, with_pip=False).create(env_dir)
    py = env_dir / "bin" / "python"
    build = tmp_path / "src"
    # Copy the tree (without .git) so the build does not write into the checkout.
    import shutil

    shutil.copytree(ROOT, build, ignore=shutil.ignore_patterns(".git", "*.egg-info", "build", "__pycache__", "*.duckdb", "forensics-demo"))
    subprocess.run([sys.executable, "-m", "pip", "install", "--quiet", "--no-deps", "--no-build-isolation",
                    "--target", str(tmp_path / "site"), str(build)], check=True)
    code = (
        "import sys; sys.path.insert(0, %r)\n"
        "from forensics.resources import queries_dir, templates_dir\n"
        "q = sorted(p.name for p in queries_dir().rglob('*.sql'))\n"
        "t = sorted(p.name for p in templates_dir().rglob('*') if p.is_file())\n"
        "assert str(queries_dir()).startswith(%r), queries_dir()\n"
        "print(len(q), len(t))\n"
    ) % (str(tmp_path / "site"), str(tmp_path / "site"))
    out = subprocess.run([str(py), "-c", code], check=True, capture_output=True, text=True, cwd=tmp_path)
    n_queries, n_templates = map(int, out.stdout.split())
    expected_queries = len(list((ROOT / "queries").rglob("*.sql")))
    expected_templates = len([p for p in (ROOT / "report_templates").rglob("*") if p.is_file() and "__pycache__" not in p.parts])
    assert n_queries == expected_queries
    assert n_templates >= expected_templates
