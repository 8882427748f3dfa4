"""The shape of the code, as docs/architecture.md draws it: every module says what it exports,
no import cycles among the server's modules, the domain packages import no Flask and no outer
layer and raise only the KelisimError tree, the server imports only the SDK's protocol (and
its Kivy-free UI text in the console), the SDK never imports the server, and modules stay
small."""

from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
import subprocess
import sys
import tomllib
from pathlib import Path
from typing import Any

import click
import pytest

REPO = Path(__file__).resolve().parent.parent
PACKAGES = ("server", "client_sdk", "demo_app")
# Modules that need a display or an optional extra to import are checked by source only.
_NEEDS_KIVY = ("client_sdk.kivy", "demo_app")


def _modules() -> list[str]:
    names: list[str] = []
    for package in PACKAGES:
        names.append(package)
        pkg = importlib.import_module(package) if not package.startswith(_NEEDS_KIVY) \
            else None
        path = [str(REPO / package)] if pkg is None else list(pkg.__path__)
        names += [m.name for m in pkgutil.walk_packages(path, prefix=f"{package}.")
                  if ".migrations" not in m.name]
    return sorted(names)


MODULES = _modules()
IMPORTABLE = [m for m in MODULES if not m.startswith(_NEEDS_KIVY)
              and m not in ("server.wsgi",)]


def _source(module: str) -> Path:
    base = REPO / module.replace(".", "/")
    return base / "__init__.py" if base.is_dir() else base.with_suffix(".py")


@pytest.mark.parametrize("name", IMPORTABLE)
def test_every_module_has_a_true_all(name: str) -> None:
    module = importlib.import_module(name)
    exported = getattr(module, "__all__", None)
    assert exported is not None, f"{name} has no __all__"
    assert len(set(exported)) == len(exported), f"{name}.__all__ has duplicates"
    missing = [member for member in exported if not hasattr(module, member)]
    assert missing == [], f"{name}.__all__ names what is not there: {missing}"


PACKAGE_NAMES = [m for m in IMPORTABLE if _source(m).name == "__init__.py"]


@pytest.mark.parametrize("name", PACKAGE_NAMES)
def test_package_exports_what_it_defines(name: str) -> None:
    """httpx's test_exported_members, for each package: what the package itself defines
    in public is in ``__all__`` (and, by the test above, all of ``__all__`` is there)."""
    package = importlib.import_module(name)
    defined = {n for n, obj in vars(package).items() if not n.startswith("_")
               and (inspect.isclass(obj) or inspect.isfunction(obj)
                    or isinstance(obj, click.Command))
               and getattr(obj, "__module__", None) == name}
    missing = defined - set(package.__all__)
    assert not missing, f"{name} does not export {missing}"


def _imports(module: str) -> set[str]:
    """Modules of this repository that ``module`` imports, anywhere in its source."""
    tree = ast.parse(_source(module).read_text())
    package = module if _source(module).name == "__init__.py" else module.rpartition(".")[0]
    found: set[str] = set()
    for node in ast.walk(tree):
        if isinstance(node, ast.Import):
            found.update(alias.name for alias in node.names)
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")
                base = base[: len(base) - node.level + 1]
                target = ".".join(base + ([node.module] if node.module else []))
            else:
                target = node.module or ""
            found.add(target)
            found.update(f"{target}.{alias.name}" for alias in node.names)
    return {m for m in found if m in MODULES}


def test_no_import_cycles_among_server_modules() -> None:
    server = [m for m in MODULES if m.split(".")[0] == "server"]
    graph = {m: {d for d in _imports(m) if d in server} - {m} for m in server}
    # A package's __init__ importing its own submodules is how packages work; an edge
    # back from a submodule to the package it is in is not a cycle of design.
    for m, deps in graph.items():
        graph[m] = {d for d in deps if not m.startswith(d + ".")}
    cycles: list[list[str]] = []
    state: dict[str, int] = {}
    stack: list[str] = []

    def visit(m: str) -> None:
        state[m] = 1
        stack.append(m)
        for d in sorted(graph[m]):
            if state.get(d) == 1:
                cycles.append([*stack[stack.index(d):], d])
            elif d not in state:
                visit(d)
        stack.pop()
        state[m] = 2

    for m in server:
        if m not in state:
            visit(m)
    assert cycles == []


def test_sdk_never_imports_the_server() -> None:
    for m in MODULES:
        if m.startswith("client_sdk"):
            deps = _imports(m)
            assert not {d for d in deps if d.startswith("server")}, m
            tree = ast.parse(_source(m).read_text())
            names = {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import)
                     for a in n.names} | {n.module.split(".")[0] for n in ast.walk(tree)
                                          if isinstance(n, ast.ImportFrom) and n.module
                                          and not n.level}
            assert "flask" not in names, m


# Generated data, not code a person reads: exempt from the size limit.
GENERATED = {"client_sdk.ui.cldr"}


@pytest.mark.parametrize("name", [m for m in MODULES if m not in GENERATED])
def test_modules_are_small(name: str) -> None:
    lines = len(_source(name).read_text().splitlines())
    # Modules under ~400 lines, 450 at most; CLI modules ~150.
    limit = 157 if name.startswith("server.cli") else 450
    assert lines <= limit, f"{name}: {lines} lines (at most {limit})"


DOMAINS = ("server.trust", "server.policy", "server.consent", "server.webhooks")
OUTER = ("server.http", "server.serving", "server.cli", "server.admin", "server.app",
         "server.wsgi")
WEB = {"flask", "werkzeug", "flask_wtf", "click", "jinja2", "granian"}


def _under(module: str, prefixes: tuple[str, ...]) -> bool:
    return any(module == p or module.startswith(p + ".") for p in prefixes)


def _third_party(module: str) -> set[str]:
    tree = ast.parse(_source(module).read_text())
    return {a.name.split(".")[0] for n in ast.walk(tree) if isinstance(n, ast.Import)
            for a in n.names} | {n.module.split(".")[0] for n in ast.walk(tree)
                                 if isinstance(n, ast.ImportFrom) and n.module and not n.level}


@pytest.mark.parametrize("name", [m for m in MODULES if _under(m, DOMAINS)])
def test_domain_packages_import_no_web_layer(name: str) -> None:
    outer = {d for d in _imports(name) if _under(d, OUTER)}
    assert not outer, f"{name} imports {outer}: domains are used by the outer layers"
    web = _third_party(name) & WEB
    assert not web, f"{name} imports {web}"


def test_domain_packages_load_without_flask() -> None:
    """Importing every domain module (in a fresh interpreter) loads neither Flask nor the
    outer layers: server/__init__.py loads the app factory only when it is asked for."""
    domain = [m for m in MODULES if _under(m, DOMAINS)]
    code = ("import importlib, sys\n"
            f"for m in {domain!r}: importlib.import_module(m)\n"
            "print(sorted({m.split('.')[0] for m in sys.modules} & {'flask', 'werkzeug'}),"
            " sorted(m for m in sys.modules if m in " + repr(OUTER) + " or m.startswith("
            + repr(tuple(p + "." for p in OUTER)) + ")))")
    out = subprocess.run([sys.executable, "-c", code], capture_output=True, text=True,
                         cwd=REPO, check=True).stdout.strip()
    assert out == "[] []", out


@pytest.mark.parametrize("name", [m for m in MODULES if _under(m, DOMAINS)])
def test_domain_code_raises_only_the_kelisim_tree(name: str) -> None:
    from marshmallow import ValidationError

    from server.errors import KelisimError

    module = importlib.import_module(name)
    for node in ast.walk(ast.parse(_source(name).read_text())):
        if not isinstance(node, ast.Raise) or node.exc is None:
            continue
        exc = node.exc.func if isinstance(node.exc, ast.Call) else node.exc
        cls = getattr(module, exc.id, None) if isinstance(exc, ast.Name) else None
        if not isinstance(cls, type):
            continue  # re-raising a value (an outcome, a caught error)
        # marshmallow's own protocol inside a schema's validators: the schema's caller
        # turns it into PolicySourceError.
        assert issubclass(cls, KelisimError) or cls is ValidationError, \
            f"{name}:{node.lineno} raises {cls.__name__}, outside the KelisimError tree"


def test_server_imports_only_the_sdk_protocol() -> None:
    for m in MODULES:
        if not m.startswith("server"):
            continue
        sdk = {d for d in _imports(m) if d.startswith("client_sdk")}
        allowed = ("client_sdk.protocol", "client_sdk.ui") if m.startswith("server.admin") \
            else ("client_sdk.protocol",)
        assert all(d.startswith(allowed) for d in sdk), f"{m} imports {sdk}"


def test_sdk_core_imports_no_kivy() -> None:
    for m in MODULES:
        if m.startswith("client_sdk") and not m.startswith("client_sdk.kivy"):
            assert "kivy" not in _third_party(m), m


def test_demo_app_uses_the_sdk_not_the_server() -> None:
    for m in MODULES:
        if m.startswith("demo_app"):
            assert not {d for d in _imports(m) if d.startswith("server")}, m


def _drawn_packages(doc: str) -> set[str]:
    """The folders drawn in the first code block of docs/architecture.md, as dotted names
    (a folder's children are indented under it)."""
    block = doc.split("```")[1]
    stack: list[tuple[int, str]] = []
    found: set[str] = set()
    for line in block.splitlines():
        m = re.match(r"( *)([a-z_]+)/(?:\s|$)", line)
        if not m:
            continue
        indent = len(m.group(1))
        while stack and stack[-1][0] >= indent:
            stack.pop()
        stack.append((indent, m.group(2)))
        found.add(".".join(name for _, name in stack))
    return found


def test_architecture_doc_names_every_package() -> None:
    """docs/architecture.md and the tree agree: every package is drawn in the doc, and every
    package the doc draws exists."""
    drawn = _drawn_packages((REPO / "docs" / "architecture.md").read_text())
    packages = {m for m in MODULES if _source(m).name == "__init__.py"
                and m.count(".") <= 2 and ".views" not in m}
    assert packages - drawn == set(), "docs/architecture.md does not draw these"
    assert {d for d in drawn if d not in MODULES} == set(), "drawn but not in the tree"


def test_the_protocol_imports_only_the_protocol() -> None:
    """client_sdk.protocol is all the server imports of the SDK: it imports nothing of the
    SDK but itself and client_sdk.errors (it used to reach into _internal.ledger)."""
    for m in MODULES:
        if m.startswith("client_sdk.protocol"):
            deps = {d for d in _imports(m) if d.startswith("client_sdk")}
            assert all(d.startswith("client_sdk.protocol") or d == "client_sdk.errors"
                       for d in deps), (m, deps)


@pytest.mark.parametrize("package,table", [("client_sdk", "_LAZY"),
                                           ("client_sdk.kivy", "_HOME")])
def test_lazy_exports_name_modules_that_exist(package: str, table: str) -> None:
    """The names a package loads on first use (``__getattr__``) come from modules of this
    tree that define them. Checked on the source, without importing Kivy: after the move to
    client_sdk/ui, client_sdk.kivy still pointed DARK and LIGHT at a .palette that was gone,
    and client_sdk.SyncResult at client_sdk.sync."""
    tree = ast.parse(_source(package).read_text())
    [mapping] = [n.value for n in ast.walk(tree) if isinstance(n, ast.Assign | ast.AnnAssign)
                 and getattr(n.targets[0] if isinstance(n, ast.Assign) else n.target,
                             "id", None) == table]
    entries = ast.literal_eval(mapping)
    for name, where in entries.items():
        # client_sdk's entries are relative without the dot; client_sdk.kivy's are
        # ".module" or absolute.
        module = where if where.startswith("client_sdk") else f"{package}.{where.lstrip('.')}"
        assert module in MODULES, (name, module)
        defined = {t.id for n in ast.walk(ast.parse(_source(module).read_text()))
                   if isinstance(n, ast.Assign | ast.AnnAssign)
                   for t in (n.targets if isinstance(n, ast.Assign) else [n.target])
                   if isinstance(t, ast.Name)}
        defined |= {n.name for n in ast.walk(ast.parse(_source(module).read_text()))
                    if isinstance(n, ast.ClassDef | ast.FunctionDef)}
        assert name in defined, (name, module)


# The two distributions (docs/architecture.md, "Two distributions"): the SDK's build
# configuration is client_sdk/pyproject.toml (this folder is the package), the server's the
# root pyproject.toml. tests/test_dist.py builds them and checks the wheels themselves.
DISTRIBUTIONS = {"client_sdk": REPO / "client_sdk" / "pyproject.toml",
                 "server": REPO / "pyproject.toml"}
# Files of the SDK's folder that build it and are not part of the package.
BUILD_FILES = {"client_sdk": {"pyproject.toml", "README.md"}, "server": set()}
_NOT_SOURCE = {"__pycache__", "build", ".mypy_cache"}


def _toml(path: Path) -> dict[str, Any]:
    return tomllib.loads(path.read_text())


def _package_files(package: str) -> set[str]:
    """Every file of the package's folder, relative to it, but caches and build output."""
    base = REPO / package
    found: set[str] = set()
    for path in base.rglob("*"):
        rel = path.relative_to(base)
        if path.is_file() and not any(part in _NOT_SOURCE or part.endswith(".egg-info")
                                      for part in rel.parts):
            found.add(rel.as_posix())
    return found - BUILD_FILES[package]


@pytest.mark.parametrize("package", sorted(DISTRIBUTIONS))
def test_package_data_lists_every_file_that_is_not_a_module(package: str) -> None:
    """What a wheel holds besides the modules is the package-data list: a file missing
    from it (the kv rules were) installs nowhere but an editable checkout."""
    patterns = _toml(DISTRIBUTIONS[package])["tool"]["setuptools"]["package-data"][package]
    base = REPO / package
    matched = {p.relative_to(base).as_posix() for pattern in patterns
               for p in base.glob(pattern) if p.is_file()}
    modules = {f for f in _package_files(package)
               if f.endswith(".py") and (base / f).with_name("__init__.py").exists()}
    data = _package_files(package) - modules
    assert data - matched == set(), f"not in {DISTRIBUTIONS[package]}'s package-data"
    stale = [p for p in patterns if not any(base.glob(p))]
    assert stale == [], f"package-data patterns that match nothing: {stale}"


def test_the_sdk_distribution_lists_every_package_of_client_sdk() -> None:
    """client_sdk/pyproject.toml names its packages (the folder is the package, so
    setuptools cannot find them by name): a new subpackage must be added there."""
    listed = _toml(DISTRIBUTIONS["client_sdk"])["tool"]["setuptools"]["packages"]
    packages = sorted(m for m in MODULES if m.startswith("client_sdk")
                      and _source(m).name == "__init__.py")
    assert sorted(listed) == packages


def test_the_server_depends_on_the_sdk_of_its_own_version() -> None:
    sdk, server = (_toml(DISTRIBUTIONS[p])["project"] for p in ("client_sdk", "server"))
    assert sdk["name"] == "kelisim-sdk" and server["name"] == "kelisim"
    assert sdk["version"] == server["version"]
    pin = f"kelisim-sdk=={sdk['version']}"
    assert pin in server["dependencies"]
    assert any(d.startswith("kelisim-sdk[") and d.endswith(f"]=={sdk['version']}")
               for d in server["optional-dependencies"]["dev"])
    assert "scripts" not in sdk and server["scripts"] == {"kelisim": "server.cli:main"}
