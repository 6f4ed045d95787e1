"""Layout rules the design relies on: SQL only in lib/queries.py, lib/ importable without Streamlit."""

import ast
import re
import subprocess
import sys
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[1]
PAGE_FILES = [ROOT / "app.py", *sorted((ROOT / "pages").glob("*.py"))]
SQL_RE = re.compile(
    r"\b(SELECT\s.+\sFROM|INSERT\s+INTO|CREATE\s+(TABLE|VIEW)|read_parquet|DELETE\s+FROM)\b",
    re.IGNORECASE | re.DOTALL,
)
STREAMLIT_OK = {"ui.py", "cache.py", "playback.py"}  # playback: a Streamlit component by nature


@pytest.mark.parametrize("path", PAGE_FILES, ids=lambda p: p.name)
def test_pages_hold_no_sql_and_no_duckdb(path):
    tree = ast.parse(path.read_text())
    imported = {
        alias.name.split(".")[0]
        for node in ast.walk(tree)
        if isinstance(node, ast.Import)
        for alias in node.names
    }
    imported |= {
        (node.module or "").split(".")[0] for node in ast.walk(tree) if isinstance(node, ast.ImportFrom)
    }
    assert "duckdb" not in imported
    strings = [n.value for n in ast.walk(tree) if isinstance(n, ast.Constant) and isinstance(n.value, str)]
    assert not [s for s in strings if SQL_RE.search(s)]


def test_sql_lives_only_in_queries_db_and_build():
    allowed = {"queries.py", "db.py", "build.py"}
    offenders = []
    for path in (ROOT / "lib").glob("*.py"):
        if path.name in allowed:
            continue
        if "import duckdb" in path.read_text() or "from duckdb" in path.read_text():
            offenders.append(path.name)
    assert offenders == []


def test_lib_imports_without_streamlit():
    modules = [p.stem for p in (ROOT / "lib").glob("*.py") if p.name not in STREAMLIT_OK | {"__init__.py"}]
    code = (
        "import sys, importlib\n"
        "sys.modules['streamlit'] = None  # any import of streamlit now fails\n"
        f"for m in {modules!r}:\n    importlib.import_module('lib.' + m)\n"
        "print('ok')\n"
    )
    result = subprocess.run([sys.executable, "-c", code], cwd=ROOT, capture_output=True, text=True)
    assert result.returncode == 0, result.stderr[-2000:]


def test_unsafe_html_only_with_static_text():
    """`unsafe_allow_html` and `st.html` may only take module-level constants, never data."""
    for path in [*PAGE_FILES, *(ROOT / "lib").glob("*.py")]:
        tree = ast.parse(path.read_text())
        for node in ast.walk(tree):
            if not isinstance(node, ast.Call):
                continue
            name = getattr(node.func, "attr", getattr(node.func, "id", ""))
            unsafe = any(
                k.arg == "unsafe_allow_html" and getattr(k.value, "value", False) for k in node.keywords
            )
            if (
                name == "html"
                and isinstance(node.func, ast.Attribute)
                and getattr(node.func.value, "id", "") == "st"
            ):
                unsafe = True
            if unsafe:
                args = node.args[:1]
                assert args and isinstance(args[0], ast.Name) and args[0].id.isupper(), (
                    f"{path.name}:{node.lineno} passes non-constant HTML"
                )


def test_no_machine_specific_absolute_paths_in_tests():
    """Tests find shared data beside the checkout (../shared) or by environment, never at a
    path of one machine."""
    pattern = re.compile(r"[\"'](/work|/home|/root|/Users)/")
    offenders = [
        str(p.relative_to(ROOT))
        for p in (ROOT / "tests").rglob("*.py")
        if p.name != "test_architecture.py" and pattern.search(p.read_text())
    ]
    assert offenders == []
