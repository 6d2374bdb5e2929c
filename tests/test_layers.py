"""The layers point down: base (kinyu.base) <- stages (kinyu.corpus <- kinyu.training, kinyu.evaluation)
<- workflows (kinyu.workflows) <- the CLI (kinyu.cli); no module-level import cycle; no product
module imports the test/benchmark helpers (testkit); and ``kinyu`` is the only import name.

The stage folders (corpus/, training/, evaluation/) are mapped into the package by setup.py, so a
file's import name is ``kinyu.<folder>.<...>`` (see ``PACKAGE_DIRS``)."""

from __future__ import annotations

import ast
import json
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
# import name -> folder, as setup.py maps them
PACKAGE_DIRS = {"kinyu": "kinyu", "kinyu.corpus": "corpus", "kinyu.training": "training", "kinyu.evaluation": "evaluation"}
STAGE_FOLDERS = ("corpus", "training", "evaluation")


def _module(path: Path) -> str:
    rel = path.relative_to(REPO)
    name = next(n for n, folder in PACKAGE_DIRS.items() if rel.parts[0] == folder)
    parts = name.split(".") + list(rel.with_suffix("").parts[1:])
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def _imports(path: Path, module: str) -> set[str]:
    out = set()
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
        if isinstance(node, ast.Import):
            out |= {a.name for a in node.names}
        elif isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                base = ".".join(package.split(".")[: len(package.split(".")) - node.level + 1] + ([base] if base else []))
            out.add(base)
            out |= {f"{base}.{a.name}" for a in node.names}
    return out


def _product_files() -> list[Path]:
    return [p for folder in PACKAGE_DIRS.values() for p in (REPO / folder).rglob("*.py")]


def _graph() -> dict[str, set[str]]:
    files = {_module(p): p for p in _product_files()}
    return {m: {t for t in _imports(p, m) if t in files and t != m} for m, p in files.items()}


def _layer(module: str) -> str:
    parts = module.split(".")
    if len(parts) > 1 and parts[1] in ("cli", "workflows", *STAGE_FOLDERS):
        return parts[1]
    return "base"


# what each layer may import (besides itself)
ALLOWED = {
    "base": set(),
    "corpus": {"base"},
    "training": {"base", "corpus"},
    "evaluation": {"base", "corpus", "training"},
    "workflows": {"base", "corpus", "training", "evaluation"},
    "cli": {"base", "corpus", "training", "evaluation", "workflows"},
}


def _cycles(graph: dict[str, set[str]]) -> list[str]:
    """Every import cycle a depth-first walk of ``graph`` meets, as ``a -> b -> a``."""
    state, cycles = {}, []

    def visit(node, stack):
        state[node] = "open"
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == "open":
                cycles.append(" -> ".join(stack[stack.index(nxt):] + [node, nxt]) if nxt in stack else f"{node} -> {nxt}")
            elif nxt not in state:
                visit(nxt, stack + [node])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    return cycles


def test_imports_point_down():
    graph = _graph()
    assert {_layer(m) for m in graph} == set(ALLOWED), sorted({_layer(m) for m in graph})
    bad = [
        f"{m} ({_layer(m)}) imports {t} ({_layer(t)})"
        for m, targets in graph.items()
        for t in targets
        if _layer(t) != _layer(m) and _layer(t) not in ALLOWED[_layer(m)]
    ]
    assert not bad, "\n".join(bad)


def test_base_layer_is_its_own_package():
    # kinyu/ holds the base (kinyu.base), the workflows and the CLI: no loose modules beside them
    loose = sorted(p.name for p in (REPO / "kinyu").glob("*.py") if p.name not in ("__init__.py",))
    assert not loose, f"modules directly under kinyu/ (put them in kinyu/base/): {loose}"


def test_no_module_import_cycle():
    cycles = _cycles(_graph())
    assert not cycles, "\n".join(cycles)


def test_product_never_imports_testkit_or_benchmarks():
    bad = [
        f"{p.relative_to(REPO)} imports {name}"
        for p in _product_files()
        for name in _imports(p, _module(p))
        if name.split(".")[0] in ("testkit", "benchmarks", "tests")
    ]
    assert not bad, "\n".join(bad)


def _code_cells(notebook: Path) -> str:
    cells = json.loads(notebook.read_text(encoding="utf-8"))["cells"]
    return "\n".join("".join(c["source"]) for c in cells if c["cell_type"] == "code")


def test_kinyu_is_the_only_import_name():
    # from the repository root `import corpus` would still work (the folders are on sys.path there),
    # but not from a wheel: every import of a stage goes through kinyu.
    bad = []
    sources = [p for folder in (*PACKAGE_DIRS.values(), "tests", "testkit", "benchmarks") for p in (REPO / folder).rglob("*.py")]
    for path in sources:
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            names = [a.name for a in node.names] if isinstance(node, ast.Import) else \
                [node.module] if isinstance(node, ast.ImportFrom) and node.module and not node.level else []
            bad += [f"{path.relative_to(REPO)}: import {n}" for n in names if n.split(".")[0] in STAGE_FOLDERS]
    for nb in (REPO / "notebooks").glob("*.ipynb"):
        code = _code_cells(nb)
        bad += [f"{nb.relative_to(REPO)}: {line.strip()}" for line in code.splitlines()
                if line.strip().startswith(tuple(f"{kw} {s}" for kw in ("from", "import") for s in STAGE_FOLDERS))]
    assert not bad, "\n".join(bad)


def _unit(module: str) -> str:
    """A module's unit inside its stage: the stage's top-level module or sub-package it belongs to
    (``kinyu.corpus.extract.pdf`` -> ``kinyu.corpus.extract``)."""
    return ".".join(module.split(".")[:3])


def test_no_upward_arrow_inside_a_stage():
    # inside corpus/ (and every stage) the units (top-level modules, sub-packages) import each other in
    # one direction: a sub-package that imports a module which imports the sub-package back (as
    # extract/extractors.py once imported ExtractConfig from corpus/config.py, which imports
    # extract/archives.py) is an arrow running back up
    graph: dict[str, set[str]] = {}
    for module, targets in _graph().items():
        if _layer(module) not in STAGE_FOLDERS:
            continue
        graph.setdefault(_unit(module), set()).update(
            _unit(t) for t in targets if _layer(t) == _layer(module) and _unit(t) != _unit(module))
    cycles = _cycles(graph)
    assert not cycles, "imports that run back up inside a stage:\n" + "\n".join(cycles)
