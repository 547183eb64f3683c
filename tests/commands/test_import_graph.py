"""The package's import graph, read with `ast`: commands on top, no cycles, no printing below, few deferrals."""

from __future__ import annotations

import ast
import re
from pathlib import Path

import pytest

PACKAGE = Path(__file__).resolve().parents[2] / "briefing"

# The only imports allowed inside a function: each one is heavy, and most runs never need it.
DEFERRED = {
    "matplotlib": "about a second of imports, only when a chart is drawn",
    "reportlab": "the PDF writer: only a PDF build needs it (CID fonts only for CJK without a TrueType font)",
    "svglib": "SVG to ReportLab, with lxml: only a PDF with charts needs it",
    "PIL": "Pillow: only for a GIF or BMP logo",
    "bidi": "only right-to-left text needs it",
    "arabic_reshaper": "only Arabic text needs it",
    "watchfiles": "it pulls in anyio: only `watch` and `preview` need it",
    "pypandoc": "a fallback, only when pandoc is not where pypandoc-binary puts it",
    "briefing.render_pdf": "the PDF renderer: ReportLab",
    "briefing.render_html": "a renderer: only an HTML build needs it",
    "briefing.render_docx": "a renderer: only a DOCX build needs it",
    "briefing.reference_docx": "the DOCX renderer's reference document",
    "briefing.chart_drawing": "matplotlib: only a build that draws charts needs it",
    "briefing.chart_record": "a matplotlib renderer: only a build that draws charts needs it",
    "briefing.preview": "the web server (http.server, ssl, email): only `preview` needs it",
    "briefing.cli": "the command line imports the whole library: the entry point forks a build's PDF worker first",
}


def modules() -> dict[str, Path]:
    """Every module of the package by dotted name."""
    out = {}
    for path in sorted(PACKAGE.rglob("*.py")):
        parts = path.relative_to(PACKAGE.parent).with_suffix("").parts
        name = ".".join(parts[:-1] if parts[-1] == "__init__" else parts)
        out[name] = path
    return out


MODULES = modules()


def resolve(module: str, path: Path, node: ast.Import | ast.ImportFrom) -> list[str]:
    """The absolute names an import statement in `module` loads (a `from X import sub` names X.sub if a module)."""
    if isinstance(node, ast.Import):
        return [a.name for a in node.names]
    package = module if path.name == "__init__.py" else module.rpartition(".")[0]
    if node.level:
        base = package.split(".")
        base = base[:len(base) - (node.level - 1)]
        target = ".".join(base + ([node.module] if node.module else []))
    else:
        target = node.module or ""
    subs = [f"{target}.{a.name}" for a in node.names if f"{target}.{a.name}" in MODULES]
    return [target, *subs]


def imports(*, nested: bool) -> list[tuple[str, Path, int, str]]:
    """(module, file, line, imported name) for each top-level import, or each import inside a function."""
    out = []
    for module, path in MODULES.items():
        tree = ast.parse(path.read_text("utf-8"))
        for node, in_function in _walk(tree, False):
            if isinstance(node, (ast.Import, ast.ImportFrom)) and in_function == nested:
                out += [(module, path, node.lineno, name) for name in resolve(module, path, node)]
    return out


def _walk(node: ast.AST, in_function: bool):
    for child in ast.iter_child_nodes(node):
        if isinstance(child, ast.If) and _type_checking(child.test):
            continue  # never runs
        inner = in_function or isinstance(child, (ast.FunctionDef, ast.AsyncFunctionDef, ast.Lambda))
        yield child, inner
        yield from _walk(child, inner)


def _type_checking(test: ast.expr) -> bool:
    return (isinstance(test, ast.Name) and test.id == "TYPE_CHECKING") or (
        isinstance(test, ast.Attribute) and test.attr == "TYPE_CHECKING")


def is_command(module: str) -> bool:
    """The command layer: the entry points and the command modules, which may parse arguments and print."""
    return (module in ("briefing.cli", "briefing.__main__", "briefing.commands")
            or module.startswith("briefing.commands."))


def test_the_graph_sees_the_package():
    """The walk finds the modules and their imports (so the tests below cannot pass by seeing nothing)."""
    assert {"briefing.cli", "briefing.build", "briefing.commands.check", "briefing.render_pdf.document"} <= set(MODULES)
    edges = {(m, name) for m, _, _, name in imports(nested=False)}
    assert ("briefing.commands.check", "briefing.inputs") in edges
    assert ("briefing.inputs", "briefing.validate") in edges


def test_no_library_module_imports_the_commands():
    bad = [f"{path.relative_to(PACKAGE.parent)}:{line}: imports {name}"
           for nested in (False, True) for module, path, line, name in imports(nested=nested)
           if not is_command(module) and is_command(name)]
    assert not bad, "\n".join(bad)


def test_the_module_graph_has_no_cycle():
    graph: dict[str, set[str]] = {m: set() for m in MODULES}
    for module, _, _, name in imports(nested=False):
        if name in MODULES and name != module:
            graph[module].add(name)
    cycle = find_cycle(graph)
    assert cycle is None, "import cycle: " + " -> ".join(cycle or [])


def find_cycle(graph: dict[str, set[str]]) -> list[str] | None:
    """One cycle in a directed graph, as a path that ends where it starts; None when there is none."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(graph.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state:
                found = visit(nxt)
                if found:
                    return found
        path.pop()
        state[node] = 2
        return None

    for node in sorted(graph):
        if node not in state:
            found = visit(node)
            if found:
                return found
    return None


def test_find_cycle_finds_one():
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b", "c"}, "b": {"c"}, "c": set()}) is None


def test_no_library_module_prints_or_reads_the_command_line():
    bad = []
    for module, path in MODULES.items():
        if is_command(module):
            continue
        for node in ast.walk(ast.parse(path.read_text("utf-8"))):
            if isinstance(node, ast.Name) and node.id == "print":
                bad.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: print")
            if (isinstance(node, ast.Attribute) and node.attr in ("argv", "stdout", "stderr")
                    and isinstance(node.value, ast.Name) and node.value.id == "sys"):
                bad.append(f"{path.relative_to(PACKAGE.parent)}:{node.lineno}: sys.{node.attr}")
    assert not bad, "library code prints or reads sys.argv; that is a command's job:\n" + "\n".join(bad)


def allowed(name: str) -> bool:
    return any(name == lib or name.startswith(lib + ".") for lib in DEFERRED)


def test_nested_imports_are_only_the_heavy_ones_and_say_why():
    bad = []
    for _, path, line, name in imports(nested=True):
        where = f"{path.relative_to(PACKAGE.parent)}:{line}: {name}"
        if not allowed(name):
            bad.append(f"{where}: not a heavy library; import it at the top of the module")
        elif not _commented(path.read_text("utf-8").splitlines(), line):
            bad.append(f"{where}: deferred without a comment saying why")
    assert not bad, "\n".join(bad)


def _commented(lines: list[str], line: int) -> bool:
    """A comment on the import's line, or on the line before the block of imports it belongs to."""
    n = line - 1
    if _reason(lines[n]):
        return True
    while n > 0 and lines[n - 1].strip().startswith(("import ", "from ")) and not _reason(lines[n - 1]):
        n -= 1
    return n > 0 and _reason(lines[n - 1])


def _reason(text: str) -> bool:
    """True when the line has a comment that says something (a bare `# noqa: F401` does not)."""
    comment = text.partition("#")[2]
    return bool(re.sub(r"^\s*noqa(:\s*[A-Z]+[0-9]+(,\s*[A-Z]+[0-9]+)*)?\s*-?", "", comment).strip())


def test_a_bare_noqa_is_no_reason():
    assert not _reason("    import svglib.svglib  # noqa: F401")
    assert _reason("    import svglib.svglib  # noqa: F401 - the chart parser")
    assert not _commented(["def f():", "    x = 1", "    import a", "    import b"], 4)
    assert _commented(["def f():", "    # deferred: heavy", "    import a", "    import b"], 4)


@pytest.mark.parametrize("name", ["briefing.compose", "yaml", "os"])
def test_a_light_import_is_not_allowed_deferred(name):
    assert not allowed(name)
