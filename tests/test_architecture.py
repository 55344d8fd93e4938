"""The layout is a rule, not a habit: imports point one way, and there are no cycles.

    text → actors → statements.models → ingest / responses
         → timeline / research / editorial / curation / alerts → tasks → web

A module may import from its own layer or any layer to its left, never to its right;
no project import hides inside a function; and the module graph has no cycle.
"""

import ast
from pathlib import Path

import pytest
from django.conf import settings

ROOT = Path(settings.BASE_DIR)
PACKAGES = ("actors", "statements")
LAYERS = [
    ("statements.text",),
    ("actors",),
    ("statements.models", "statements.apps", "statements"),
    ("statements.ingest", "statements.responses"),
    ("statements.timeline", "statements.research", "statements.editorial",
     "statements.curation", "statements.alerts"),
    ("statements.tasks",),
    ("statements.web", "statements.admin", "statements.management", "actors.admin"),
]
ALLOWED_LOOSE = {"__init__.py", "models.py", "admin.py", "apps.py", "tasks.py"}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(ROOT).with_suffix("").parts)
    if parts[-1] == "__init__":
        parts.pop()
    return ".".join(parts)


MODULES = {
    module_name(p): p
    for package in PACKAGES
    for p in (ROOT / package).rglob("*.py")
    if "migrations" not in p.parts
}


def layer_of(module: str) -> int:
    best, rank = -1, None
    for index, prefixes in enumerate(LAYERS):
        for prefix in prefixes:
            if (module == prefix or module.startswith(prefix + ".")) and len(prefix) > best:
                best, rank = len(prefix), index
    assert rank is not None, f"{module} belongs to no layer: add it to LAYERS"
    return rank


def project_imports(path: Path) -> tuple[set[str], list[tuple[int, str]]]:
    """(modules imported at module level, [(line, module) imported inside a function])."""
    tree = ast.parse(path.read_text(), filename=str(path))
    top, nested = set(), []

    def targets(node):
        if isinstance(node, ast.Import):
            return [alias.name for alias in node.names]
        if isinstance(node, ast.ImportFrom) and node.module and node.level == 0:
            # "from statements.ingest import pipeline" imports the submodule.
            found = [node.module]
            found += [f"{node.module}.{a.name}" for a in node.names
                      if f"{node.module}.{a.name}" in MODULES]
            return found
        return []

    for node in ast.walk(tree):
        for target in targets(node):
            if target.split(".")[0] in PACKAGES and target in MODULES:
                top.add(target)
    for func in ast.walk(tree):
        if isinstance(func, ast.FunctionDef | ast.AsyncFunctionDef):
            for node in ast.walk(func):
                for target in targets(node):
                    if target.split(".")[0] in PACKAGES:
                        nested.append((node.lineno, target))
    return top, nested


GRAPH = {name: project_imports(path) for name, path in MODULES.items()}


def test_the_modules_are_found():
    assert "statements.ingest.pipeline" in MODULES and "actors.graph" in MODULES


@pytest.mark.parametrize("module", sorted(MODULES))
def test_imports_point_to_the_same_layer_or_below(module):
    mine = layer_of(module)
    upward = [target for target in GRAPH[module][0]
              if target != module and layer_of(target) > mine and not module.endswith("__init__")]
    assert not upward, f"{module} (layer {mine}) imports from a layer above it: {upward}"


def test_no_project_import_hides_inside_a_function():
    hidden = [f"{module}:{line} imports {target}"
              for module, (_, nested) in GRAPH.items() for line, target in nested]
    assert hidden == []


def test_the_module_graph_has_no_cycle():
    edges = {m: {t for t in imports if t != m and not t == "statements" and t in MODULES}
             for m, (imports, _) in GRAPH.items()}
    state: dict[str, int] = {}
    path: list[str] = []

    def visit(node):
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges[node]):
            if state.get(nxt) == 1:
                raise AssertionError("import cycle: " + " → ".join(path[path.index(nxt):] + [nxt]))
            if nxt not in state:
                visit(nxt)
        path.pop()
        state[node] = 2

    for node in sorted(edges):
        if node not in state:
            visit(node)


def test_actors_domain_code_imports_nothing_from_statements():
    offenders = {m: sorted(t for t in imports if t.startswith("statements"))
                 for m, (imports, _) in GRAPH.items()
                 if m.startswith("actors") and m != "actors.admin"}
    assert {m: t for m, t in offenders.items() if t} == {}


def test_statements_keeps_only_the_app_modules_outside_its_packages():
    loose = {p.name for p in (ROOT / "statements").glob("*.py")}
    assert loose <= ALLOWED_LOOSE, f"move into a package: {sorted(loose - ALLOWED_LOOSE)}"


def test_text_work_is_free_of_django():
    for module, path in MODULES.items():
        if module.startswith("statements.text"):
            tree = ast.parse(path.read_text())
            names = {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
            names |= {n.module for n in ast.walk(tree)
                      if isinstance(n, ast.ImportFrom) and n.module}
            assert not {n for n in names if n.split(".")[0] == "django"}, module


def test_no_test_module_imports_another_test_module():
    # Shared worlds live in tests/scenarios.py (and fixtures in conftest.py): a test
    # module that imports another collects and couples both.
    offenders = []
    for path in (ROOT / "tests").rglob("*.py"):
        tree = ast.parse(path.read_text(), filename=str(path))
        for node in ast.walk(tree):
            names = ([a.name for a in node.names] if isinstance(node, ast.Import)
                     else [node.module or ""] if isinstance(node, ast.ImportFrom) else [])
            for name in names:
                if name.startswith("tests.") and name.rsplit(".", 1)[-1].startswith("test_"):
                    offenders.append(f"{path.relative_to(ROOT)}:{node.lineno} imports {name}")
    assert offenders == []


def test_time_labels_are_free_of_django():
    # Everything from the timeline up writes times through it, exports included.
    path = MODULES["statements.timeline.labels"]
    tree = ast.parse(path.read_text())
    names = {n.module for n in ast.walk(tree) if isinstance(n, ast.ImportFrom) and n.module}
    names |= {a.name for n in ast.walk(tree) if isinstance(n, ast.Import) for a in n.names}
    assert not {n for n in names if n.split(".")[0] in ("django", "statements", "actors")}
