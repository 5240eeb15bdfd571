"""The house follows the data (issue #17, item 6): every module sits in a
layer, and imports only from its own layer or the ones below it.

The layers, bottom to top, are the path "append an event → facts →
compiled rules → read" as a newcomer walks it (README, "How it works"):

* **base** — values and words: the model, the rules as data, settings,
  messages, errors, the validators;
* **folds** — pure functions of a lead's events and a policy: corrections'
  effective log, ownership and credit;
* **storage** — the SQLite event log, the facts, and the rules compiled to SQL;
* **plugins machinery** — hook specifications, the loader, the core's own
  default plugin, the registry of industries;
* **engine** — a lead's state from its events and its industry's rules;
* **commands** — the writes (claims, voids, receptions, penalties,
  accounts): they check, then append events, and pass data down;
* **api** — :class:`leadcycle.LeadBook`;
* **outputs** — import/export, the register's history, synthetic demo data;
* **interface** — the command line, the industry plugins and the reports
  over them (the reports read the plugins' own report data).

Every import counts: at module level, inside functions, and under
``if TYPE_CHECKING:`` (annotations name higher layers by a string, never
by an import). A module may import its own layer too, but the graph as a
whole must have no cycle.
"""

from __future__ import annotations

import ast
import fnmatch
import functools
import pathlib

import leadcycle

ROOT = pathlib.Path(__file__).parent.parent

#: the source folders and the package each one is (pyproject's package-dir)
PACKAGES = {"core": "leadcycle", "cli": "leadcycle.cli", "plugins": "leadcycle.plugins"}

#: bottom to top: (layer, the modules in it as fnmatch patterns)
LAYERS = [
    ("base", ["leadcycle", "leadcycle.i18n", "leadcycle.errors", "leadcycle.model", "leadcycle.rules",
              "leadcycle.settings", "leadcycle.phones", "leadcycle.validate", "leadcycle.privacy",
              "leadcycle.names", "leadcycle.search", "leadcycle.fingerprint", "leadcycle.cells", "leadcycle.convert", "leadcycle.auth",
              "leadcycle.profiles", "leadcycle.revisit", "leadcycle.profile", "leadcycle.spool"]),
    ("folds", ["leadcycle.corrections", "leadcycle.ownership"]),
    ("storage", ["leadcycle.sqlrules", "leadcycle.storage"]),
    ("plugins machinery", ["leadcycle.hookspecs", "leadcycle.loader", "leadcycle.defaults", "leadcycle.actors",
                           "leadcycle.registry"]),
    ("engine", ["leadcycle.engine"]),
    ("commands", ["leadcycle.claims", "leadcycle.correct", "leadcycle.reception", "leadcycle.penalties",
                  "leadcycle.accounts"]),
    ("api", ["leadcycle.api"]),
    ("outputs", ["leadcycle.io", "leadcycle.registers", "leadcycle.history", "leadcycle.synthetic"]),
    ("interface", ["leadcycle.reports", "leadcycle.reports.*", "leadcycle.cli", "leadcycle.cli.*",
                   "leadcycle.plugins", "leadcycle.plugins.*"]),
]


@functools.cache
def modules() -> dict[str, pathlib.Path]:
    """Every module of the package, by its dotted name."""
    out = {}
    for folder, package in PACKAGES.items():
        for path in sorted((ROOT / folder).rglob("*.py")):
            parts = path.relative_to(ROOT / folder).with_suffix("").parts
            if parts[-1] == "__init__":
                parts = parts[:-1]
            out[".".join((package, *parts))] = path
    return out


def imports(name: str, text: str, known: set[str], *, is_package: bool = False) -> list[tuple[str, int]]:
    """``(imported module, line)`` for every import of ``leadcycle`` code in
    the source ``text`` of module ``name``, wherever it stands (module
    level, functions, ``if TYPE_CHECKING:``). ``from leadcycle import
    Label`` is an import of the module that defines the name (the
    package's lazy table)."""
    package = name if is_package else name.rpartition(".")[0]
    out = []
    for node in ast.walk(ast.parse(text)):
        if isinstance(node, ast.Import):
            out += [(a.name, node.lineno) for a in node.names]
        elif isinstance(node, ast.ImportFrom):
            if node.level:
                base = package.split(".")[: len(package.split(".")) - node.level + 1]
                source = ".".join(base + ([node.module] if node.module else []))
            else:
                source = node.module
            for a in node.names:
                if f"{source}.{a.name}" in known:
                    out.append((f"{source}.{a.name}", node.lineno))
                elif source == "leadcycle" and a.name in leadcycle._LAZY:
                    out.append((f"leadcycle.{leadcycle._LAZY[a.name]}", node.lineno))
                else:
                    out.append((source, node.lineno))
    return [(m, line) for m, line in out if m in known]


def layer_of(name: str) -> int:
    for i, (_, patterns) in enumerate(LAYERS):
        if any(fnmatch.fnmatchcase(name, p) for p in patterns):
            return i
    raise AssertionError(f"{name} is in no layer: place it in tests/test_layers.py LAYERS "
                         "(and README's list of layers)")


@functools.cache
def graph() -> dict[str, list[tuple[str, int]]]:
    found = modules()
    known = set(found)
    return {name: imports(name, path.read_text(encoding="utf-8"), known, is_package=path.name == "__init__.py")
            for name, path in found.items()}


def test_every_module_is_in_one_layer():
    for name in modules():
        matches = [layer for layer, patterns in LAYERS if any(fnmatch.fnmatchcase(name, p) for p in patterns)]
        assert len(matches) == 1, f"{name} is in layers {matches}; it belongs in exactly one"


def test_no_module_imports_a_higher_layer():
    found = modules()
    wrong = []
    for name, edges in graph().items():
        for target, line in edges:
            if layer_of(target) > layer_of(name):
                wrong.append(f"{found[name].relative_to(ROOT)}:{line}: {name} ({LAYERS[layer_of(name)][0]}) "
                             f"imports {target} ({LAYERS[layer_of(target)][0]})")
    assert not wrong, "imports from a higher layer:\n" + "\n".join(wrong)


def test_the_folds_never_see_a_book():
    """The folds are functions of events, a policy and plain values: no
    function of theirs takes the book (the commands above pass data down)."""
    found = modules()
    folds = [name for name in found if layer_of(name) == [n for n, _ in LAYERS].index("folds")]
    wrong = []
    for name in folds:
        for node in ast.walk(ast.parse(found[name].read_text(encoding="utf-8"))):
            if isinstance(node, (ast.FunctionDef, ast.Lambda)):
                args = node.args.posonlyargs + node.args.args + node.args.kwonlyargs
                if any(a.arg == "book" for a in args):
                    wrong.append(f"{found[name].relative_to(ROOT)}:{node.lineno}")
    assert folds and not wrong, f"folds that take a book: {wrong}"


def find_cycle(edges: dict[str, set[str]]) -> list[str] | None:
    """One cycle of the graph (its modules, the first repeated at the end),
    or ``None``."""
    state: dict[str, int] = {}  # 1: on the current path, 2: done
    path: list[str] = []

    def visit(node: str) -> list[str] | None:
        state[node] = 1
        path.append(node)
        for nxt in sorted(edges.get(node, ())):
            if state.get(nxt) == 1:
                return path[path.index(nxt):] + [nxt]
            if nxt not in state:
                cycle = visit(nxt)
                if cycle:
                    return cycle
        path.pop()
        state[node] = 2
        return None

    for node in sorted(edges):
        if node not in state:
            cycle = visit(node)
            if cycle:
                return cycle
    return None


def test_the_imports_have_no_cycle():
    edges = {name: {t for t, _ in targets if t != name} for name, targets in graph().items()}
    cycle = find_cycle(edges)
    assert cycle is None, "import cycle: " + " → ".join(cycle)


def test_the_checks_catch_what_they_are_for():
    """The checks themselves: imports are found wherever they stand, a
    cycle is found and a straight line is not, layers are in order."""
    text = (
        "from typing import TYPE_CHECKING\n"
        "from .errors import LeadcycleError\n"
        "from leadcycle import Label, engine\n"
        "if TYPE_CHECKING:\n"
        "    from .api import LeadBook\n"
        "def f():\n"
        "    from . import ownership\n"
        "    import leadcycle.cli.output\n"
    )
    known = set(modules())
    assert imports("leadcycle.probe", text, known) == [
        ("leadcycle.errors", 2), ("leadcycle.model", 3), ("leadcycle.engine", 3), ("leadcycle.api", 5),
        ("leadcycle.ownership", 7), ("leadcycle.cli.output", 8)]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": {"a"}}) == ["a", "b", "c", "a"]
    assert find_cycle({"a": {"b"}, "b": {"c"}, "c": set()}) is None
    assert layer_of("leadcycle.api") > layer_of("leadcycle.engine") > layer_of("leadcycle.ownership")
