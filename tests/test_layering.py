"""The package's import graph: data flows one way (tools -> agent -> env -> faces -> training -> CLI).

Every ``import`` in every module counts, including those inside functions (a lazy import is
still a dependency). Two rules:

- a module imports only from its own layer or the layers below it (``LAYERS``); ``if TYPE_CHECKING:``
  blocks are left out here;
- no import cycle among modules, type-level imports (``if TYPE_CHECKING:``) included: a cycle that
  only the type checker sees still ties two modules into one.
"""

from __future__ import annotations

import ast
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGES = {"tools": "tools", "agent": "agent", "env": "env", "faces": "faces", "training": "training"}

LAYERS = {"core": 0, "tools": 1, "agent": 2, "env": 3, "faces": 4, "training": 5, "cli": 6}
"""``core``: vagent.types, vagent.errors, vagent.answers, vagent.files (leaf libraries); ``cli``: the rest of ``vagent``."""

CORE = {"vagent.types", "vagent.errors", "vagent.answers", "vagent.files"}


def _modules() -> dict[str, Path]:
    found = {}
    for folder, package in [("vagent", "vagent"), *((f, f"vagent.{p}") for f, p in PACKAGES.items())]:
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = [package, *path.relative_to(ROOT / folder).with_suffix("").parts]
            name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
            found[name] = path
    return found


def _is_type_checking(node: ast.If) -> bool:
    test = node.test
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def _imports(path: Path, modules: dict[str, Path], type_level: bool = False) -> set[str]:
    """The vagent modules ``path`` imports (``from vagent.x import y`` counts ``vagent.x.y`` when that is a module);
    ``type_level`` counts the imports under ``if TYPE_CHECKING:`` too."""
    found: set[str] = set()

    def visit(node: ast.AST) -> None:
        for child in ast.iter_child_nodes(node):
            if isinstance(child, ast.If) and _is_type_checking(child) and not type_level:
                for other in child.orelse:
                    visit(other)
                continue
            if isinstance(child, ast.Import):
                found.update(alias.name for alias in child.names)
            elif isinstance(child, ast.ImportFrom) and child.module and child.level == 0:
                found.add(child.module)
                found.update(f"{child.module}.{alias.name}" for alias in child.names)
            visit(child)

    visit(ast.parse(path.read_text(), str(path)))
    return {name for name in found if name in modules}


def _layer(module: str) -> str:
    if module in CORE:
        return "core"
    parts = module.split(".")
    return parts[1] if len(parts) > 1 and parts[1] in PACKAGES else "cli"


def _graph(type_level: bool = False) -> dict[str, set[str]]:
    modules = _modules()
    graph = {}
    for name, path in modules.items():
        # a module's enclosing packages are not dependencies (importing vagent.env.x runs them anyway)
        enclosing = {name.rsplit(".", i)[0] for i in range(1, name.count(".") + 1)}
        graph[name] = {m for m in _imports(path, modules, type_level) if m != name and m not in enclosing}
    return graph


def test_the_graph_sees_the_package():
    graph = _graph()
    assert {"vagent.answers", "vagent.agent.graph", "vagent.env.rewards", "vagent.tools.registry", "vagent.cli"} <= set(graph)
    assert "vagent.agent.episode" in graph["vagent.agent.graph"]
    assert "vagent.answers" in graph["vagent.env.rewards"]


def test_no_module_imports_from_a_layer_above_it():
    wrong = [
        f"{module} ({_layer(module)}) imports {target} ({_layer(target)})"
        for module, targets in sorted(_graph().items())
        for target in sorted(targets)
        if LAYERS[_layer(target)] > LAYERS[_layer(module)]
    ]
    assert not wrong, "imports against the flow tools -> agent -> env -> faces -> training -> CLI:\n" + "\n".join(wrong)


def test_no_import_cycle():
    graph = _graph(type_level=True)
    state: dict[str, int] = {}
    cycles: list[list[str]] = []

    def walk(node: str, path: list[str]) -> None:
        state[node] = 1
        for target in sorted(graph[node]):
            if state.get(target) == 1:
                cycles.append(path[path.index(target):] + [target] if target in path else [node, target])
            elif target not in state:
                walk(target, path + [target])
        state[node] = 2

    for module in sorted(graph):
        if module not in state:
            walk(module, [module])
    assert not cycles, "import cycles:\n" + "\n".join(" -> ".join(c) for c in cycles)


def test_every_module_is_on_the_layout_page():
    page = (ROOT / "docs" / "layout.md").read_text()
    missing = []
    for name, path in _modules().items():
        if path.stem == "__init__":
            continue
        if f"`{path.name}`" not in page:
            missing.append(str(path.relative_to(ROOT)))
    assert not missing, "modules missing from docs/layout.md: " + ", ".join(missing)
