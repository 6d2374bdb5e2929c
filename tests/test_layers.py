"""The layers point down: base (kinyu.config, kinyu.runs) <- stages (corpus <- training,
evaluation) <- workflows (kinyu.workflows) <- the CLI (kinyu.cli); no module-level import cycle;
no product module imports the test/benchmark helpers (testkit)."""

from __future__ import annotations

import ast
from pathlib import Path

REPO = Path(__file__).resolve().parents[1]
PRODUCT = ("kinyu", "corpus", "training", "evaluation")


def _module(path: Path) -> str:
    parts = list(path.relative_to(REPO).with_suffix("").parts)
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


def _graph() -> dict[str, set[str]]:
    files = {_module(p): p for root in PRODUCT for p in (REPO / root).rglob("*.py")}
    return {m: {t for t in _imports(p, m) if t in files and t != m} for m, p in files.items()}


def _layer(module: str) -> str:
    if module.startswith("kinyu.cli"):
        return "cli"
    if module.startswith("kinyu.workflows"):
        return "workflows"
    if module.split(".")[0] == "kinyu":
        return "base"
    return module.split(".")[0]


# what each layer may import (besides itself)
ALLOWED = {
    "base": set(),
    "corpus": {"base"},
    "training": {"base", "corpus"},
    "evaluation": {"base", "corpus", "training"},
    "workflows": {"base", "corpus", "training", "evaluation"},
    "cli": {"base", "corpus", "training", "evaluation", "workflows"},
}


def test_imports_point_down():
    bad = [
        f"{m} ({_layer(m)}) imports {t} ({_layer(t)})"
        for m, targets in _graph().items()
        for t in targets
        if _layer(t) != _layer(m) and _layer(t) not in ALLOWED[_layer(m)]
    ]
    assert not bad, "\n".join(bad)


def test_no_module_import_cycle():
    graph, state, cycles = _graph(), {}, []

    def visit(node, stack):
        state[node] = "open"
        for nxt in sorted(graph[node]):
            if state.get(nxt) == "open":
                cycles.append(" -> ".join(stack[stack.index(nxt):] + [node, nxt]) if nxt in stack else f"{node} -> {nxt}")
            elif nxt not in state:
                visit(nxt, stack + [node])
        state[node] = "done"

    for node in sorted(graph):
        if node not in state:
            visit(node, [])
    assert not cycles, "\n".join(cycles)


def test_product_never_imports_testkit_or_benchmarks():
    bad = [
        f"{p.relative_to(REPO)} imports {name}"
        for root in PRODUCT
        for p in (REPO / root).rglob("*.py")
        for name in _imports(p, _module(p))
        if name.split(".")[0] in ("testkit", "benchmarks", "tests")
    ]
    assert not bad, "\n".join(bad)
