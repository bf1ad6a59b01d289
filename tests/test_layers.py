"""The package's shape: imports go down the layers of docs/architecture.md, never up, and never in a cycle."""

from __future__ import annotations

import ast
from pathlib import Path

PACKAGE = Path(__file__).resolve().parents[1] / "trainer_agent_lab"

#: Highest first. A module may import from its own layer or any layer below it.
LAYERS: list[tuple[str, ...]] = [
    ("__init__", "__main__", "cli", "api", "magics", "personas", "jupyter_extension"),  # front doors
    ("session",),
    ("orchestrator", "planning", "plan_signal"),
    ("kinds",),
    ("agents",),
    ("notebook", "llm"),
    ("cells", "knowledge", "bundle"),
    ("spec", "report", "errors"),
]
LAYER_OF = {name: depth for depth, names in enumerate(LAYERS) for name in names}


def module_name(path: Path) -> str:
    parts = list(path.relative_to(PACKAGE.parent).with_suffix("").parts)
    return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)


def imports(path: Path) -> set[str]:
    """Modules of the package that ``path`` imports at run time (``TYPE_CHECKING`` blocks left out)."""
    tree = ast.parse(path.read_text(encoding="utf-8"))
    package = module_name(path) if path.name == "__init__.py" else module_name(path).rsplit(".", 1)[0]
    found: set[str] = set()
    skip = {id(n) for node in ast.walk(tree) if isinstance(node, ast.If) and "TYPE_CHECKING" in ast.unparse(node.test)
            for n in ast.walk(node)}
    for node in ast.walk(tree):
        if id(node) in skip:
            continue
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                parent = package.split(".")
                parent = parent[:len(parent) - node.level + 1]
                base = ".".join(parent + ([base] if base else []))
            if base.startswith("trainer_agent_lab"):
                for alias in node.names:
                    candidate = f"{base}.{alias.name}"
                    found.add(candidate if (PACKAGE.parent / candidate.replace(".", "/")).with_suffix(".py").exists()
                              or (PACKAGE.parent / candidate.replace(".", "/")).is_dir() else base)
        elif isinstance(node, ast.Import):
            found |= {a.name for a in node.names if a.name.startswith("trainer_agent_lab")}
    return found


def top(module: str) -> str:
    parts = module.split(".")
    return parts[1] if len(parts) > 1 else "__init__"


def is_cell_file(path: Path) -> bool:
    """Cell files and their context modules: their imports are for linters, never run by the package."""
    return path.name == "context.py" or "\n# %%" in path.read_text(encoding="utf-8")


SOURCES = {module_name(p): p for p in PACKAGE.rglob("*.py") if not is_cell_file(p)}


def test_imports_never_go_up_a_layer():
    upward = []
    for module, path in SOURCES.items():
        for target in imports(path):
            if LAYER_OF[top(target)] < LAYER_OF[top(module)]:
                upward.append(f"{module} -> {target}")
    assert not upward, "imports up the layers:\n" + "\n".join(sorted(upward))


def test_no_import_cycles():
    graph = {m: {t for t in imports(p) if t in SOURCES and t != m} for m, p in SOURCES.items()}
    # Tarjan's strongly connected components
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    cycles: list[list[str]] = []

    def visit(node: str) -> None:
        index[node] = low[node] = len(index)
        stack.append(node)
        for nxt in graph[node]:
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                cycles.append(sorted(component))

    for node in graph:
        if node not in index:
            visit(node)
    # a package importing its own submodules (``kinds`` -> ``kinds.base`` -> ``kinds``?) counts too
    assert not cycles, f"import cycles: {cycles}"
