"""Imports go only downwards through the layers the README's "How it is built" table names.

A module may import its own layer or any layer below it, never one above: that is what keeps the engine free of
the app, and the store free of the pages. The layer of a module is its folder; records is a slice through
several layers, so each of its modules is placed by what it is.
"""

import ast
from pathlib import Path

SRC = Path(__file__).resolve().parents[1] / "src"

# Lowest first. A module not named here falls to its folder's entry.
LAYERS = [
    ("words", ["dashboard.words"]),
    ("store", ["dashboard.store"]),
    ("input", ["dashboard.input", "dashboard.records.annex_a", "dashboard.records.pseudonym"]),
    (
        "engine",
        [
            "dashboard.engine",
            "dashboard.records.measures",
            "dashboard.records.workdays",
            "dashboard.records.compute",
            "dashboard.records.breakdown",
        ],
    ),
    ("auth", ["dashboard.auth"]),
    ("writes", ["dashboard.writes", "dashboard.records.stored"]),
    ("service", ["dashboard.service", "dashboard.records.reconcile", "dashboard.records.views"]),
    ("output", ["dashboard.output"]),
    ("app", ["dashboard.cli", "dashboard.ui", "dashboard.records.synth", "dashboard.records"]),
]


def layer_of(module: str) -> int:
    best, rank = "", None
    for i, (_, prefixes) in enumerate(LAYERS):
        for p in prefixes:
            if (module == p or module.startswith(p + ".")) and len(p) > len(best):
                best, rank = p, i
    if rank is None and module != "dashboard":
        raise AssertionError(f"{module} is in no layer: add it to LAYERS and to the README's table")
    return rank


def modules():
    for path in sorted((SRC / "dashboard").rglob("*.py")):
        parts = list(path.relative_to(SRC).with_suffix("").parts)
        package = parts[:-1] if parts[-1] != "__init__" else parts
        if parts[-1] == "__init__":
            parts = parts[:-1]
        yield ".".join(parts), ".".join(package), path


def imports(path: Path, package: str):
    """Every dashboard module `path` imports, at the top or inside a function."""
    for node in ast.walk(ast.parse(path.read_text())):
        if isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                mod = ".".join(base + ([node.module] if node.module else []))
            else:
                mod = node.module or ""
            if not mod.startswith("dashboard"):
                continue
            for alias in node.names:
                full = f"{mod}.{alias.name}"
                is_mod = (SRC / full.replace(".", "/")).with_suffix(".py").exists() or (
                    SRC / full.replace(".", "/") / "__init__.py"
                ).exists()
                yield node.lineno, full if is_mod else mod
        elif isinstance(node, ast.Import):
            for alias in node.names:
                if alias.name.startswith("dashboard"):
                    yield node.lineno, alias.name


def test_every_import_goes_down_or_across_never_up():
    upward = []
    for module, package, path in modules():
        if module == "dashboard":
            continue
        mine = layer_of(module)
        for line, target in imports(path, package):
            if target == "dashboard":
                continue
            theirs = layer_of(target)
            if theirs > mine:
                upward.append(
                    f"{path.relative_to(SRC)}:{line} ({LAYERS[mine][0]}) imports {target} ({LAYERS[theirs][0]})"
                )
    assert not upward, "imports that go up a layer:\n" + "\n".join(upward)


def test_the_checker_sees_an_upward_import(tmp_path):
    sample = tmp_path / "x.py"
    sample.write_text("def f():\n    from ..ui import data\n")
    found = list(imports(sample, "dashboard.engine"))
    assert found == [(2, "dashboard.ui.data")]
    assert layer_of("dashboard.ui.data") > layer_of("dashboard.engine.rag")


def test_every_module_is_in_a_layer():
    for module, _, _ in modules():
        if module != "dashboard":
            layer_of(module)


ENGINE = next(i for i, (name, _) in enumerate(LAYERS) if name == "engine")


def test_the_pages_reach_the_engine_and_store_only_through_the_service():
    """The UI asks the service layer (service.py through ui/data.py's cached reads; records/views.py and
    records/reconcile.py for the children's records) for every frame and figure: no page works out a rating, a
    count, a plan or a suppressed team table itself, and only ui/data.py opens the store."""
    bypasses = []
    for module, package, path in modules():
        if not module.startswith("dashboard.ui."):
            continue
        for line, target in imports(path, package):
            engine = target != "dashboard" and layer_of(target) == ENGINE  # dashboard.engine and records' engine
            store = target == "dashboard.store" and module != "dashboard.ui.data"
            if engine or store:
                bypasses.append(f"{path.relative_to(SRC)}:{line} imports {target}")
    assert not bypasses, "the UI bypasses the service:\n" + "\n".join(bypasses)
