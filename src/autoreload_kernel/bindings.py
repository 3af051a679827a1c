"""Who imported what from whom: follow rebinds into ``from m import X`` copies.

Patched functions and classes keep their identity, so copies of them need no
help.  A name rebound to a *new* object (a constant, a dict) is different: the
notebook's or another module's ``X`` still holds the old value.  We learn the
``from m import X [as Y]`` statements from the source each module executed and
from each cell the notebook ran, and update exactly those bindings, and only
where they still hold the old object (a name the user rebound is left alone).
"""

from __future__ import annotations

import ast
import importlib.util
import sys
from typing import NamedTuple


class FromImport(NamedTuple):
    """One import statement's binding.  (A tuple: a frozen dataclass cost about a
    millisecond to build at every kernel start.)"""

    module: str  # absolute name of the module imported from
    attr: str | None  # name taken from it ('*' for star imports, None for `import m`)
    local: str  # name bound in the importer


def _package_of(name: str, module) -> str | None:
    pkg = getattr(module, "__package__", None)
    if pkg is not None:
        return pkg
    if hasattr(module, "__path__"):
        return name
    return name.rpartition(".")[0]


def imports_in(body, package: str | None, top_level_only: bool = True) -> list[FromImport]:
    """The import statements that bind module-level names.

    ``body`` is an ``ast.Module`` or a list of statements (``ast`` nodes or
    :class:`~autoreload_kernel.statements.Stmt`).
    """
    found: list[FromImport] = []
    if isinstance(body, ast.Module):
        body = body.body
    stack = [getattr(s, "node", s) for s in body]
    while stack:
        node = stack.pop(0)
        if isinstance(node, ast.ImportFrom):
            base = node.module or ""
            if node.level:
                try:
                    base = importlib.util.resolve_name("." * node.level + base, package or "")
                except (ImportError, ValueError):
                    continue
            for alias in node.names:
                found.append(FromImport(base, alias.name, alias.asname or alias.name))
        elif isinstance(node, ast.Import):
            for alias in node.names:
                found.append(FromImport(alias.name, None, alias.asname or alias.name.split(".")[0]))
        elif isinstance(node, (ast.If, ast.Try, ast.With)) or (
            not top_level_only and not isinstance(node, (ast.FunctionDef, ast.AsyncFunctionDef,
                                                         ast.ClassDef, ast.Lambda))
        ):
            for field_name in ("body", "orelse", "finalbody", "handlers"):
                stack.extend(getattr(node, field_name, []) or [])
    return found


class ImportIndex:
    """Import statements per user module, parsed lazily from its baseline source."""

    def __init__(self, store):
        self.store = store
        self._cache: dict[str, tuple[bytes, list[FromImport]]] = {}
        #: (the modules dict it was made for, names whose baseline may star-import)
        self._stars: tuple[dict, list[str]] | None = None
        #: modules whose baseline changed since ``_stars`` was made
        self._touched: set[str] = set()

    def end_batch(self) -> None:
        """Drop what was kept for one batch (it holds that batch's dict of modules)."""
        self._stars = None
        self._touched = set()

    def reloaded(self, name: str) -> None:
        """``name``'s baseline changed (it may have gained or lost a star import)."""
        if self._stars is not None:
            self._touched.add(name)

    def _candidates(self, modules: dict, star_only: bool):
        """The modules to look at: with ``star_only``, those that may star-import,
        found once per dict of modules (a batch), not once per name."""
        if not star_only:
            return modules
        if self._stars is None or self._stars[0] is not modules:
            stars = self.store.star_imports
            self._stars = (modules, [n for n in modules if stars(n)])
            self._touched = set()
        return dict.fromkeys(self._stars[1] + [n for n in self._touched if n in modules])

    def of(self, name: str, module) -> list[FromImport]:
        base = self.store.baselines.get(name)
        if base is None:
            return []
        hit = self._cache.get(name)
        if hit is not None and hit[0] is base.source:
            return hit[1]
        try:
            found = imports_in(base.statements(vars(module)).importing(), _package_of(name, module))
        except (SyntaxError, ValueError):
            found = []
        self._cache[name] = (base.source, found)
        return found

    def importers_of(self, target: str, modules: dict, attr: str | None = None,
                     star_only: bool = False) -> list[tuple[str, FromImport]]:
        """(importer, import) pairs for the watched modules that import ``target``.

        With ``attr``, only importers that can bind it: a star import, or a
        source that spells the name; with ``star_only``, star imports alone.
        Byte searches come first, so only those few modules are parsed.
        """
        needle = target.rpartition(".")[2].encode()
        spelled = attr.encode() if attr is not None and attr.isascii() else None
        out = []
        store = self.store
        for name in self._candidates(modules, star_only):
            module = modules[name]
            if name == target:
                continue
            # (looked at as kept: a Baseline is made only for the few parsed)
            source = store.source_of(name)
            if source is None:
                continue
            if star_only and not store.star_imports(name):
                continue
            # a cheap byte search first: most modules never mention the target
            if needle not in source and b"from ." not in source:
                continue
            if spelled is not None and spelled not in source and not store.star_imports(name):
                continue
            for imp in self.of(name, module):
                if imp.module == target and imp.attr is not None:
                    out.append((name, imp))
        return out


class NotebookImports:
    """Records the cells' ``from m import X`` statements, from each cell's tree.

    It never changes the cell: it only looks.
    """

    def __init__(self):
        #: local name -> the import that bound it last (a later import wins)
        self.named: dict[str, FromImport] = {}
        #: modules star-imported, in order
        self.star: dict[str, FromImport] = {}
        #: ("named", local) or ("star", module) -> when it last ran (a counter)
        self._when: dict[tuple[str, str], int] = {}
        self._clock = 0

    @property
    def imports(self) -> list[FromImport]:
        return list(self.named.values()) + list(self.star.values())

    def watch(self, shell) -> None:
        """See every tree IPython hands to its AST transformers (cells, ``%time``).

        ``shell.transform_ast`` is wrapped instead of joining
        ``shell.ast_transformers``: with any transformer registered, IPython runs
        ``ast.fix_missing_locations`` over every cell, which costs about as much
        as compiling it, and this only looks.
        """
        original = shell.transform_ast

        def transform_ast(node):
            self.record(node)
            return original(node)

        transform_ast.__wrapped__ = original
        shell.transform_ast = transform_ast

    def record(self, node) -> None:
        """Note the imports of one cell's tree (an ``ast.Module``); never raises."""
        if not isinstance(node, ast.Module):
            return
        try:
            for imp in imports_in(node, None, top_level_only=False):
                self._clock += 1
                if imp.attr == "*":
                    self.star[imp.module] = imp
                    self._when["star", imp.module] = self._clock
                elif imp.attr is not None:
                    self.named[imp.local] = imp
                    self._when["named", imp.local] = self._clock
        except Exception:  # noqa: BLE001 - looking must never break a cell
            pass

    def owner_of(self, local: str) -> str | None:
        """The module the notebook last imported ``local`` from, if any: by name,
        or by a later star import of a module that exports it."""
        imp = self.named.get(local)
        owner, when = (imp.module, self._when["named", local]) if imp is not None else (None, 0)
        for module in self.star:
            later = self._when["star", module]
            if later > when and _exports(sys.modules.get(module), local):
                owner, when = module, later
        return owner


def _exports(module, name: str) -> bool:
    """Does ``from module import *`` bind ``name``?"""
    if module is None or name not in vars(module):
        return False
    public = getattr(module, "__all__", None)
    return name in public if public is not None else not name.startswith("_")


def propagate(modname, rebound, index: ImportIndex, watched: dict, notebook_ns: dict | None,
              notebook: NotebookImports | None, missing) -> list[str]:
    """Update copies of rebound names; return "where.name" for each update made."""
    updated: list[str] = []
    # Entries with old = missing are names the module gained: only star imports
    # take those (as re-running `from m import *` would).
    queue = [(modname, name, old, new) for name, old, new in rebound if new is not missing]
    seen = set()
    while queue:
        source, name, old, new = queue.pop(0)
        if (source, name) in seen:
            continue
        seen.add((source, name))
        public = getattr(sys.modules.get(source), "__all__", None)
        gained = old is missing
        if gained and (name.startswith("_") if public is None else name not in public):
            continue  # a new name only star imports take, and they skip this one
        targets = []
        if notebook_ns is not None and notebook is not None:
            for imp in notebook.imports:
                if imp.module == source and imp.attr in (name, "*"):
                    targets.append(("notebook", notebook_ns, imp))
        for importer, imp in index.importers_of(source, watched, name, star_only=gained):
            if imp.attr in (name, "*"):
                mod = watched[importer]
                targets.append((importer, mod.__dict__, imp))
        for where, ns, imp in targets:
            local = name if imp.attr == "*" else imp.local
            if imp.attr == "*" and (
                name.startswith("_") if public is None else name not in public
            ):
                continue
            if old is missing and imp.attr != "*":
                continue
            if where == "notebook" and notebook.owner_of(local) not in (None, source):
                continue  # the notebook's last import of this name came from elsewhere
            if ns.get(local, missing) is old:
                ns[local] = new
                updated.append(f"{where}.{local}")
                if where != "notebook":
                    queue.append((where, local, old, new))
    return updated
