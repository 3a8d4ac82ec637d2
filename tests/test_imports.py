"""The layering of the package, read from the source (nothing is imported).

    helpline.core    standard library, helpline.errors and itself only (sans-I/O)
    helpline.wire    the above and helpline.core
    helpline.store   never helpline.web, never aiohttp
    helpline.web     the only place aiohttp is used (and helpline/client.py, for its login)
    nothing in helpline imports the tests

Every import statement counts, including those under ``if TYPE_CHECKING:`` and
inside functions, and ``importlib.import_module("...")`` with a literal name.
"""

from __future__ import annotations

import ast
import sys
from collections.abc import Iterator
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "helpline"
STDLIB = frozenset(sys.stdlib_module_names)


def module_name(path: Path, root: Path) -> str:
    parts = list(path.relative_to(root).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


def is_module(name: str, root: Path) -> bool:
    """Whether ``name`` is a module or package in the source tree under ``root``."""
    base = root.joinpath(*name.split("."))
    return base.with_suffix(".py").is_file() or (base / "__init__.py").is_file()


def imported_modules(path: Path, root: Path) -> Iterator[tuple[int, str]]:
    """(line, absolute module name) for every import in the file at ``path``."""
    tree = ast.parse(path.read_text(encoding="utf-8"), filename=str(path))
    this = module_name(path, root)
    package = this if path.name == "__init__.py" else this.rpartition(".")[0]
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            for alias in node.names:
                yield node.lineno, alias.name
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                parts = package.split(".")
                if node.level > 1:
                    parts = parts[: -(node.level - 1)]
                base = ".".join([*parts, node.module] if node.module else parts)
            else:
                base = node.module or ""
            for alias in node.names:
                # `from helpline import web` imports helpline.web; `from x import name` imports x.
                sub = f"{base}.{alias.name}"
                yield node.lineno, sub if is_module(sub, root) else base
        elif (
            isinstance(node, ast.Call)
            and _call_name(node.func) in ("importlib.import_module", "import_module", "__import__")
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.lineno, node.args[0].value


def _call_name(func: ast.expr) -> str:
    if isinstance(func, ast.Name):
        return func.id
    if isinstance(func, ast.Attribute) and isinstance(func.value, ast.Name):
        return f"{func.value.id}.{func.attr}"
    return ""


def within(name: str, prefix: str) -> bool:
    return name == prefix or name.startswith(prefix + ".")


def source_files(root: Path = ROOT) -> list[Path]:
    return sorted((root / "helpline").rglob("*.py"))


def all_imports(root: Path = ROOT) -> list[tuple[str, str, int, str]]:
    """(importing module, file relative to root, line, imported module) for helpline/."""
    return [
        (module_name(path, root), str(path.relative_to(root)), line, imported)
        for path in source_files(root)
        for line, imported in imported_modules(path, root)
    ]


def broken_rule(importer: str, imported: str) -> str | None:
    """The layering rule that ``importer`` breaks by importing ``imported``, if any."""
    top = imported.partition(".")[0]
    stdlib = top in STDLIB
    if within(importer, "helpline.core") and not (
        stdlib or imported == "helpline.errors" or within(imported, "helpline.core")
    ):
        return "core imports only the standard library, helpline.core and helpline.errors"
    if within(importer, "helpline.wire") and not (
        stdlib
        or imported == "helpline.errors"
        or within(imported, "helpline.core")
        or within(imported, "helpline.wire")
    ):
        return "wire imports only the standard library, helpline.core and helpline.errors"
    if within(importer, "helpline.store") and (
        within(imported, "helpline.web") or top == "aiohttp"
    ):
        return "store never imports helpline.web or aiohttp"
    if top == "aiohttp" and not (within(importer, "helpline.web") or importer == "helpline.client"):
        return "only helpline.web (and helpline.client) import aiohttp"
    if top == "tests":
        return "nothing in helpline imports the tests"
    return None


def violations(root: Path = ROOT) -> list[str]:
    """Every import that breaks the layering, as "file:line: importer imports x (rule)"."""
    return [
        f"{file}:{line}: {importer} imports {imported} ({rule})"
        for importer, file, line, imported in all_imports(root)
        if (rule := broken_rule(importer, imported)) is not None
    ]


def test_the_package_keeps_its_layers() -> None:
    assert violations() == []


def test_the_walker_sees_the_package() -> None:
    """Guards against a walker that silently finds nothing and so passes."""
    files = {str(path.relative_to(ROOT)) for path in source_files()}
    assert {"helpline/__init__.py", "helpline/errors.py", "helpline/config.py"} <= files
    assert ("helpline.config", "helpline/config.py") in {(i, f) for i, f, _, _ in all_imports()}


def write_tree(root: Path, files: dict[str, str]) -> None:
    for name, text in files.items():
        path = root / name
        path.parent.mkdir(parents=True, exist_ok=True)
        path.write_text(text, encoding="utf-8")


PACKAGES = {
    "helpline/__init__.py": "",
    "helpline/errors.py": "",
    "helpline/core/__init__.py": "",
    "helpline/wire/__init__.py": "",
    "helpline/store/__init__.py": "",
    "helpline/web/__init__.py": "",
}


def test_relative_and_submodule_imports_are_resolved(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            **PACKAGES,
            "helpline/core/a.py": "from . import b\nfrom .b import thing\nfrom .. import errors\n",
            "helpline/core/b.py": "from ..wire import frames\n",
            "helpline/wire/frames.py": "",
        },
    )
    assert sorted(
        imported for _, imported in imported_modules(tmp_path / "helpline/core/a.py", tmp_path)
    ) == [
        "helpline.core.b",
        "helpline.core.b",
        "helpline.errors",
    ]
    assert [i for _, i in imported_modules(tmp_path / "helpline/core/b.py", tmp_path)] == [
        "helpline.wire.frames"
    ]


@pytest.mark.parametrize(
    ("file", "source", "rule"),
    [
        ("helpline/core/x.py", "import aiohttp\n", "core imports only"),
        ("helpline/core/x.py", "from helpline import config\n", "core imports only"),
        ("helpline/core/x.py", "from helpline.wire import frames\n", "core imports only"),
        ("helpline/core/x.py", "def f():\n    import sqlalchemy\n", "core imports only"),
        (
            "helpline/core/x.py",
            "from typing import TYPE_CHECKING\nif TYPE_CHECKING:\n    import nacl\n",
            "core imports only",
        ),
        ("helpline/wire/x.py", "from ..store import repo\n", "wire imports only"),
        ("helpline/wire/x.py", "import websockets\n", "wire imports only"),
        ("helpline/store/x.py", "from helpline.web import app\n", "store never imports"),
        ("helpline/store/x.py", "from aiohttp import web\n", "store never imports"),
        ("helpline/cli.py", "import aiohttp.web\n", "only helpline.web"),
        (
            "helpline/cli.py",
            "import importlib\nimportlib.import_module('aiohttp')\n",
            "only helpline.web",
        ),
        ("helpline/web/x.py", "from tests import conftest\n", "imports the tests"),
    ],
)
def test_forbidden_imports_are_reported(tmp_path: Path, file: str, source: str, rule: str) -> None:
    write_tree(
        tmp_path,
        {
            **PACKAGES,
            "helpline/store/repo.py": "",
            "helpline/web/app.py": "",
            "helpline/wire/frames.py": "",
        },
    )
    write_tree(tmp_path, {file: source})
    found = violations(tmp_path)
    assert len(found) == 1, found
    assert found[0].startswith(f"{file}:")
    assert rule in found[0]


def test_allowed_imports_are_not_reported(tmp_path: Path) -> None:
    write_tree(
        tmp_path,
        {
            **PACKAGES,
            "helpline/core/x.py": (
                "import dataclasses\nfrom helpline.errors import ProtocolError\nfrom . import y\n"
            ),
            "helpline/core/y.py": "from helpline.core.x import z\n",
            "helpline/wire/x.py": (
                "import json\nfrom helpline.core import y\nfrom helpline import errors\n"
            ),
            "helpline/store/x.py": "import sqlalchemy\nfrom helpline.core import y\n",
            "helpline/web/x.py": "from aiohttp import web\nfrom helpline.store import x\n",
            "helpline/client.py": "import aiohttp\nimport websockets\n",
            "helpline/cli.py": "from helpline.web import x\n",
        },
    )
    assert violations(tmp_path) == []
