"""The shape of the code base, measured from its source: imports between bot's parts, sizes.

``python -m tests.architecture`` prints the import graph of bot's parts (a part is a
sub-package such as ``bot.chat``, or a top-level module such as ``bot.cli``), any import
cycles between parts, the files over the size limit, and the lines of platform code
(files that import discord or telegram). ``tests/test_architecture.py`` holds the rules.
Only module-level imports count; an import inside a function is a deliberate lazy one
and is listed apart.
"""

from __future__ import annotations

import ast
import sys
from collections import defaultdict
from collections.abc import Iterable
from dataclasses import dataclass, field
from pathlib import Path

REPO = Path(__file__).resolve().parent.parent
BOT = REPO / "bot"
PLATFORM_LIBRARIES = ("discord", "telegram")


@dataclass
class Module:
    name: str  # bot.chat.service
    path: Path
    lines: int
    imports: set[str] = field(default_factory=set)  # at module level (and TYPE_CHECKING)
    lazy: set[str] = field(default_factory=set)  # inside functions

    @property
    def part(self) -> str:
        return part_of(self.name)


def part_of(module: str) -> str:
    """``bot.chat.service`` -> ``chat``; ``bot.cli`` -> ``cli``; ``bot`` -> ``bot``."""
    pieces = module.split(".")
    return pieces[1] if len(pieces) > 1 else pieces[0]


def _resolve(node: ast.ImportFrom, module: str, is_package: bool) -> str:
    if not node.level:
        return node.module or ""
    base = module.split(".")
    base = base if is_package else base[:-1]
    base = base[: len(base) - node.level + 1]
    return ".".join([*base, node.module] if node.module else base)


def _imported(tree: ast.Module, module: str, is_package: bool) -> tuple[set[str], set[str]]:
    top: set[str] = set()
    lazy: set[str] = set()

    def names(node: ast.Import | ast.ImportFrom) -> list[str]:
        if isinstance(node, ast.Import):
            return [alias.name for alias in node.names]
        resolved = _resolve(node, module, is_package)
        return [resolved, *(f"{resolved}.{a.name}" for a in node.names)]

    def walk(nodes: Iterable[ast.stmt], inside_function: bool) -> None:
        for node in nodes:
            if isinstance(node, ast.Import | ast.ImportFrom):
                (lazy if inside_function else top).update(names(node))
            elif isinstance(node, ast.FunctionDef | ast.AsyncFunctionDef):
                walk(node.body, True)
            elif isinstance(node, ast.ClassDef):
                walk(node.body, inside_function)
            elif isinstance(node, ast.If | ast.Try | ast.With):
                for block in ("body", "orelse", "finalbody", "handlers"):
                    for child in getattr(node, block, []):
                        walk(
                            child.body if isinstance(child, ast.ExceptHandler) else [child],
                            inside_function,
                        )

    walk(tree.body, False)
    return top, lazy


def modules(root: Path = BOT) -> dict[str, Module]:
    found: dict[str, Module] = {}
    for path in sorted(root.rglob("*.py")):
        relative = path.relative_to(root.parent).with_suffix("")
        parts = list(relative.parts)
        is_package = parts[-1] == "__init__"
        if is_package:
            parts = parts[:-1]
        name = ".".join(parts)
        text = path.read_text(encoding="utf-8")
        top, lazy = _imported(ast.parse(text), name, is_package)
        found[name] = Module(name, path, len(text.splitlines()), top, lazy)
    return found


def _ours(imported: str, known: dict[str, Module]) -> str | None:
    """The module of ours an import names (``bot.chat.responses.Say`` -> bot.chat.responses)."""
    candidate = imported
    while candidate:
        if candidate in known:
            return candidate
        candidate = candidate.rpartition(".")[0]
    return None


def part_graph(known: dict[str, Module]) -> dict[str, set[str]]:
    """Part -> the parts it imports at module level."""
    graph: dict[str, set[str]] = defaultdict(set)
    for module in known.values():
        graph[module.part]
        for imported in module.imports:
            target = _ours(imported, known)
            if target not in (None, "bot") and part_of(target) != module.part:
                graph[module.part].add(part_of(target))
    return dict(graph)


def cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components with more than one part (Tarjan)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    on_stack: set[str] = set()
    found: list[list[str]] = []
    counter = [0]

    def visit(node: str) -> None:
        index[node] = low[node] = counter[0]
        counter[0] += 1
        stack.append(node)
        on_stack.add(node)
        for nxt in graph.get(node, ()):
            if nxt not in index:
                visit(nxt)
                low[node] = min(low[node], low[nxt])
            elif nxt in on_stack:
                low[node] = min(low[node], index[nxt])
        if low[node] == index[node]:
            component = []
            while True:
                member = stack.pop()
                on_stack.discard(member)
                component.append(member)
                if member == node:
                    break
            if len(component) > 1:
                found.append(sorted(component))

    for node in sorted(graph):
        if node not in index:
            visit(node)
    return found


def platform_files(known: dict[str, Module]) -> dict[str, int]:
    """Files that import discord or telegram at all (module level or lazily), with lines."""
    return {
        str(m.path.relative_to(REPO)): m.lines
        for m in known.values()
        if any(i.split(".")[0] in PLATFORM_LIBRARIES for i in m.imports | m.lazy)
    }


def oversized(limit: int = 600) -> dict[str, int]:
    """Source, test and benchmark files over ``limit`` lines."""
    sizes = {}
    for folder in ("bot", "tests", "benchmarks", "scripts"):
        for path in sorted((REPO / folder).rglob("*.py")):
            lines = len(path.read_text(encoding="utf-8").splitlines())
            if lines > limit:
                sizes[str(path.relative_to(REPO))] = lines
    return sizes


def main() -> None:
    known = modules()
    graph = part_graph(known)
    print("Import graph of bot's parts (module-level imports):")
    for part in sorted(graph):
        print(f"  {part:10} -> {', '.join(sorted(graph[part])) or '(nothing of ours)'}")
    found = cycles(graph)
    print(f"Cycles between parts: {found or 'none'}")
    files = platform_files(known)
    print(f"Platform code: {sum(files.values())} lines in {len(files)} files")
    for name, lines in sorted(files.items()):
        print(f"  {lines:5}  {name}")
    big = oversized()
    print(f"Files over 600 lines: {big or 'none'}")
    sys.exit(0)


if __name__ == "__main__":
    main()
