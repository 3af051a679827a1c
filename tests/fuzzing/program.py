"""Random programs and random edits of them.

A program is a model made of plain dicts (so it can be sent to the oracle as
JSON): module ``a`` with functions, closures, decorators, classes with
properties/classmethods/slots, subclasses, ABCs, dataclasses, enums, module
state, aliases and tables; module ``b`` doing ``from a import ...`` (and
subclassing a's classes); a package ``p`` re-exporting names of ``p.core``.
:func:`render` turns it into files; :func:`edit` changes it at random the
way a person editing those files would.
"""

from __future__ import annotations

import copy
import random

HEADER = ("import abc\nimport enum\nimport functools\n"
          "from dataclasses import dataclass, fields\n")
ROLES = ("core", "pkg", "a", "b")  # import order


def module_names(tag: str) -> dict[str, str]:
    return {"a": tag + "a", "b": tag + "b", "pkg": tag + "p", "core": tag + "p.core"}


def file_names(tag: str) -> dict[str, str]:
    return {"a": f"{tag}a.py", "b": f"{tag}b.py", "pkg": f"{tag}p/__init__.py",
            "core": f"{tag}p/core.py"}


# -- rendering ------------------------------------------------------------------------
def _comments(n: int, indent: str) -> str:
    return "".join("\n" if i % 2 else f"{indent}# note {i}\n" for i in range(n))


def _method(m: dict, cls: dict) -> str:
    body = _comments(m.get("comments", 0), "        ")
    name, c = m["name"], m["c"]
    if m.get("abstract"):
        return f"    @abc.abstractmethod\n    def {name}(self, x=1):\n{body}        return {c}\n"
    if m["kind"] == "prop":
        return f"    @property\n    def {name}(self):\n{body}        return {c} + self.tag\n"
    if m["kind"] == "cls":
        return (f"    @classmethod\n    def {name}(cls, x=1):\n{body}"
                f"        return (cls.__name__, x + {c} + cls.tag)\n")
    if m["kind"] == "static":
        return f"    @staticmethod\n    def {name}(x=1):\n{body}        return x + {c}\n"
    call = f"super().{name}(x) + " if m.get("super") else ""
    return f"    def {name}(self, x=1):\n{body}        return {call}x + {c} + self.tag\n"


def render_item(it: dict) -> str:
    k, name = it["k"], it["name"]
    pre = _comments(it.get("pre", 0), "")
    if k == "const":
        return f"{pre}{name} = {it['v']}\n"
    if k == "state":
        return f"{pre}{name} = []\n"
    if k == "func":
        deco = f"@{it['deco']}\n" if it.get("deco") else ""
        reads = f" + {it['reads']}" if it.get("reads") else ""
        return (f"{pre}{deco}def {name}(x={it['default']}):\n    \"\"\"{it['doc']}\"\"\"\n"
                f"{_comments(it.get('comments', 0), '    ')}"
                f"    if x is None:\n        raise ValueError({name!r})\n"
                f"    return x * 2 + {it['c']}{reads}\n")
    if k == "cdeco":
        return f"{pre}def {name}(cls):\n    cls.marked = {it['tag']!r}\n    return cls\n"
    if k == "deco":
        return (f"{pre}def {name}(fn):\n    @functools.wraps(fn)\n"
                f"    def wrapper(*args, **kwargs):\n"
                f"        return ({it['tag']!r}, fn(*args, **kwargs))\n    return wrapper\n")
    if k == "closure":
        return (f"{pre}def {name}(n):\n    def inner(x):\n"
                f"{_comments(it.get('comments', 0), '        ')}"
                f"        if x is None:\n            raise ValueError({name!r})\n"
                f"        return x + n + {it['c']}\n    return inner\n")
    if k == "alias":
        return f"{pre}{name} = {it['target']}\n"
    if k == "table":
        return f"{pre}{name} = {{'f': {it['target']}, 'x': None}}\n"
    if k == "use":
        return f"{pre}def {name}():\n    return {it['expr']}\n"
    if k == "class":
        bases = [b for b in (it.get("base"), "abc.ABC" if it.get("abc") else None) if b]
        head = f"class {name}({', '.join(bases)}):\n" if bases else f"class {name}:\n"
        head = (f"@{it['deco']}\n" if it.get("deco") else "") + head
        body = "    __slots__ = ()\n" if it.get("slots") else ""
        body += f"    tag = {it['tag']}\n"
        for m in it["methods"]:
            body += "\n" + _method(m, it)
        return pre + head + body
    if k == "dc":
        head = f"@dataclass\nclass {name}({it['base']}):\n" if it.get("base") else (
            f"@dataclass\nclass {name}:\n")
        body = "".join(f"    {f}: int = {v}\n" for f, v in it["fields"]) or "    pass\n"
        return pre + head + body
    if k == "enum":
        base = "enum.IntEnum" if it.get("int") else "enum.Enum"
        body = "".join(f"    {m} = {v}\n" for m, v in it["members"]) or "    pass\n"
        return f"{pre}class {name}({base}):\n{body}"
    raise ValueError(k)


def render_module(mod: dict, role: str, names: dict) -> str:
    if role == "pkg":
        exports = mod["exports"]
        text = f"from .core import {', '.join(exports)}\n" if exports else ""
        text += f"\n__all__ = {exports!r}\n"
    else:
        text = f'"""{mod["doc"]}"""\n' if mod.get("doc") else ""
        text += HEADER
        if role == "b" and mod["imports"]:
            text += f"from {names['a']} import {', '.join(mod['imports'])}\n"
        text += "".join("\n\n" + render_item(it) for it in mod["items"])
    if mod.get("broken"):
        lines = text.split("\n")
        at = mod["broken"] % len(lines)
        lines.insert(at, "def broken(:")
        text = "\n".join(lines)
    if mod.get("raises"):  # fails while it runs, after the definitions above
        text += "\n\nBOOM = 1 // 0\n"
    return text


def render(prog: dict) -> dict[str, str]:
    names = module_names(prog["tag"])
    files = file_names(prog["tag"])
    return {files[role]: render_module(prog[role], role, names) for role in ROLES}


# -- generation -------------------------------------------------------------------------
class Gen:
    """Makes and edits one program; ``rng`` decides everything."""

    def __init__(self, rng: random.Random, tag: str):
        self.rng = rng
        self.tag = tag
        self.n = 0

    def fresh(self, prefix: str) -> str:
        self.n += 1
        return f"{prefix}_{self.n}"

    def c(self) -> int:
        return self.rng.randint(0, 99)

    # items
    def func(self, items, name=None) -> dict:
        r = self.rng
        decos = [it["name"] for it in items if it["k"] == "deco"]
        consts = [it["name"] for it in items if it["k"] == "const"]
        return {"k": "func", "name": name or self.fresh("f"), "default": r.randint(0, 9),
                "c": self.c(), "doc": f"doc {self.c()}", "comments": 0,
                "deco": r.choice(decos) if decos and r.random() < 0.3 else None,
                "reads": r.choice(consts) if consts and r.random() < 0.4 else None}

    def method(self, cls: dict) -> dict:
        kind = self.rng.choice(["plain", "plain", "prop", "cls", "static"])
        return {"name": self.fresh("m"), "kind": kind, "c": self.c(), "comments": 0}

    def klass(self, items, base=None, abstract=False) -> dict:
        cdecos = [o["name"] for o in items if o["k"] == "cdeco"]
        it = {"k": "class", "name": self.fresh("C"), "base": base, "tag": self.c(),
              "deco": self.rng.choice(cdecos) if cdecos and self.rng.random() < 0.3 else None,
              "slots": self.rng.random() < 0.25, "abc": abstract, "methods": []}
        for _ in range(self.rng.randint(1, 3)):
            it["methods"].append(self.method(it))
        if abstract:
            it["methods"].append({"name": self.fresh("run"), "kind": "plain", "c": 0,
                                  "abstract": True})
        return it

    def dc(self, base=None) -> dict:
        return {"k": "dc", "name": self.fresh("D"), "base": base,
                "fields": [[self.fresh("fld"), self.c()] for _ in range(self.rng.randint(0, 2))]}

    def enum(self) -> dict:
        values = self.rng.sample(range(1, 50), self.rng.randint(1, 3))
        return {"k": "enum", "name": self.fresh("E"), "int": self.rng.random() < 0.3,
                "members": [[self.fresh("M").upper(), v] for v in values]}

    def module_items(self, size: int) -> list[dict]:
        r = self.rng
        items: list[dict] = []
        if r.random() < 0.7:
            items.append({"k": "deco", "name": self.fresh("deco"), "tag": "w"})
        if r.random() < 0.4:
            items.append({"k": "cdeco", "name": self.fresh("cdeco"), "tag": "t"})
        items.append({"k": "const", "name": self.fresh("K"), "v": self.c()})
        if r.random() < 0.5:
            items.append({"k": "state", "name": self.fresh("S")})
        for _ in range(size):
            roll = r.random()
            funcs = [it["name"] for it in items if it["k"] == "func"]
            classes = [it for it in items if it["k"] == "class"]
            dcs = [it["name"] for it in items if it["k"] == "dc"]
            if roll < 0.3:
                items.append(self.func(items))
            elif roll < 0.38:
                items.append({"k": "closure", "name": self.fresh("make"), "c": self.c()})
            elif roll < 0.45 and funcs:
                items.append({"k": r.choice(["alias", "table"]), "name": self.fresh("g"),
                              "target": r.choice(funcs)})
            elif roll < 0.65:
                base = r.choice(classes) if classes and r.random() < 0.5 else None
                if base is not None and base["abc"]:
                    sub = self.klass(items, base["name"])
                    for m in base["methods"]:  # implement the abstract ones
                        if m.get("abstract") and r.random() < 0.8:
                            sub["methods"].append({"name": m["name"], "kind": "plain",
                                                   "c": self.c(), "comments": 0})
                    items.append(sub)
                else:
                    items.append(self.klass(items, base and base["name"],
                                            abstract=r.random() < 0.25))
            elif roll < 0.8:
                items.append(self.dc(r.choice(dcs) if dcs and r.random() < 0.6 else None))
            elif roll < 0.9:
                items.append(self.enum())
            else:
                items.append({"k": "const", "name": self.fresh("K"), "v": self.c()})
        return items

    def program(self) -> dict:
        r = self.rng
        a = {"items": self.module_items(r.randint(4, 9))}
        core = {"items": self.module_items(r.randint(1, 3))}
        prog = {"tag": self.tag, "a": a, "core": core, "pending": [],
                "pkg": {"exports": [it["name"] for it in core["items"]
                                    if it["k"] not in ("deco", "cdeco") and r.random() < 0.6]},
                "b": {"imports": [], "items": []}}
        for _ in range(r.randint(1, 3)):
            self.b_import(prog)
        return prog

    # -- b --------------------------------------------------------------------------------
    def b_import(self, prog: dict, name: str | None = None, kind: str = "func") -> bool:
        b = prog["b"]
        if name is None:
            choices = [it for it in prog["a"]["items"]
                       if it["name"] not in b["imports"] and it["k"] not in ("deco", "cdeco")]
            if not choices:
                return False
            it = self.rng.choice(choices)
            name, kind = it["name"], it["k"]
        b["imports"].append(name)
        if kind == "class" and self.rng.random() < 0.6:
            sub = self.klass(b["items"], name)
            sub["slots"] = False
            b["items"].append(sub)
        elif kind == "dc" and self.rng.random() < 0.6:
            b["items"].append(self.dc(name))
        else:
            b["items"].append({"k": "use", "name": self.fresh("use"), "of": name,
                               "expr": USE[kind].format(name)})
        return True


#: what b's functions do with each kind of imported name
USE = {"func": "{}(2)", "alias": "{}(2)", "const": "{}", "state": "len({})",
       "closure": "{}(10)(2)", "table": "{}['f'](2)", "class": "{}.__name__",
       "dc": "repr({}())", "enum": "[m.name for m in {}]"}


# -- edits ------------------------------------------------------------------------------
def _find(items, name):
    for it in items:
        if it["name"] == name:
            return it
    return None


def _referenced(prog: dict, role: str, name: str) -> bool:
    """Is ``name`` used by anything else (removing or renaming it breaks an import)?"""
    if role == "a" and name in prog["b"]["imports"]:
        return True
    if role == "core" and name in prog["pkg"]["exports"]:
        return True
    for it in prog[role]["items"]:
        if name in (it.get("target"), it.get("base"), it.get("deco"), it.get("reads")):
            return True
    return False


def _backward_only(items) -> bool:
    """Does every statement use only names defined above it?  (A re-run statement
    finds later names in the namespace where a fresh import raises NameError:
    documented, so the generator does not make such programs.)"""
    seen: set[str] = set()
    for it in items:
        for key in ("target", "base", "deco"):
            if it.get(key) and it[key] not in seen:
                return False
        seen.add(it["name"])
    return True


def edit(gen: Gen, prog: dict) -> str:
    """Change ``prog`` in place, the way a person would; return what was done."""
    for _ in range(20):
        before = copy.deepcopy(prog)
        what = _edit(gen, prog)
        if all(_backward_only(prog[role]["items"]) for role in ("a", "core")):
            return what
        prog.clear()
        prog.update(before)
    return "noop"


def _edit(gen: Gen, prog: dict) -> str:
    r = gen.rng
    for role in ROLES:
        mod = prog[role]
        if mod.get("broken"):  # a syntax error is fixed soon after
            if r.random() < 0.8:
                mod["broken"] = 0
                return f"{role}:fix-syntax"
        if mod.get("raises") and r.random() < 0.8:
            mod["raises"] = False
            return f"{role}:fix-error"
    role = r.choices(["a", "core", "b", "pkg"], [6, 2, 2, 1])[0]
    if role == "pkg":
        return _edit_pkg(gen, prog)
    if role == "b":
        return _edit_b(gen, prog)
    items = prog[role]["items"]
    roll = r.random()
    if roll < 0.04:
        prog[role]["broken"] = r.randint(1, 400)
        return f"{role}:syntax-error"
    if roll < 0.06:
        prog[role]["raises"] = True
        return f"{role}:error-at-import"
    if roll < 0.12:
        it = r.choice(items)
        it["pre"] = max(0, it.get("pre", 0) + r.choice([-2, -1, 1, 2, 3]))
        return f"{role}:comment-between"
    if roll < 0.2:
        i = r.randrange(len(items))
        j = min(len(items) - 1, i + 1)
        items[i], items[j] = items[j], items[i]
        return f"{role}:move"
    if roll < 0.28:
        if role == "a" and prog["pending"]:
            items.append(gen.func(items, prog["pending"].pop(0)))
            return f"{role}:add-awaited"
        extra = gen.module_items(1)
        new = [it for it in extra if it["k"] not in ("deco", "cdeco", "state")][-1:] or extra[-1:]
        items.insert(r.randint(0, len(items)), new[0])
        return f"{role}:add-{new[0]['k']}"
    if roll < 0.33:
        free = [it for it in items if not _referenced(prog, role, it["name"])]
        if free and len(items) > 1:
            items.remove(r.choice(free))
            return f"{role}:remove"
    if roll < 0.38:
        kind = r.choice(["func", "func", "class", "dc"])
        found = [it for it in items if it["k"] == kind and not (
            role == "a" and it["name"] in prog["b"]["imports"]) and not (
            role == "core" and it["name"] in prog["pkg"]["exports"])]
        if found:
            it = r.choice(found)
            old, it["name"] = it["name"], gen.fresh(it["name"].split("_")[0])
            for other in items:
                for key in ("target", "base"):
                    if other.get(key) == old:
                        other[key] = it["name"]
            return f"{role}:rename-{kind}"
    if roll < 0.40:
        prog[role]["doc"] = f"module doc {gen.c()}" if r.random() < 0.8 else None
        return f"{role}:module-docstring"
    if roll < 0.42:
        classes = [it for it in items if it["k"] == "class"]
        if classes:
            it = r.choice(classes)
            it["slots"] = not it.get("slots")
            return f"{role}:class-slots"
    return _edit_item(gen, prog, role, r.choice(items))


def _edit_item(gen: Gen, prog: dict, role: str, it: dict) -> str:
    r = gen.rng
    items = prog[role]["items"]
    k = it["k"]
    if k == "const":
        it["v"] = gen.c()
        return f"{role}:const-value"
    if k in ("state", "use"):
        it["pre"] = it.get("pre", 0) + 1
        return f"{role}:comment-between"
    if k in ("deco", "cdeco"):
        it["tag"] = r.choice("wxyz")
        return f"{role}:decorator-body"
    if k == "closure":
        if r.random() < 0.3:
            it["comments"] = it.get("comments", 0) + r.choice([1, 2])
            return f"{role}:closure-comment"
        it["c"] = gen.c()
        return f"{role}:closure-body"
    if k in ("alias", "table"):
        funcs = [o["name"] for o in items if o["k"] == "func"]
        if funcs:
            it["target"] = r.choice(funcs)
        return f"{role}:{k}-retarget"
    if k == "func":
        what = r.choice(["body", "default", "doc", "comments", "deco", "reads"])
        if what == "body":
            it["c"] = gen.c()
        elif what == "default":
            it["default"] = r.randint(0, 9)
        elif what == "doc":
            it["doc"] = f"doc {gen.c()}"
        elif what == "comments":
            it["comments"] = max(0, it.get("comments", 0) + r.choice([-1, 1, 2, 3]))
        elif what == "deco":
            decos = [o["name"] for o in items if o["k"] == "deco"]
            if it.get("deco"):
                it["deco"] = None
            elif decos:
                it["deco"] = r.choice(decos)
        else:
            consts = [o["name"] for o in items if o["k"] == "const"]
            it["reads"] = r.choice(consts + [None]) if consts else None
        return f"{role}:func-{what}"
    if k == "class":
        return _edit_class(gen, prog, role, it)
    if k == "dc":
        what = r.choice(["add", "remove", "default", "base"])
        if what == "add":
            it["fields"].insert(r.randint(0, len(it["fields"])), [gen.fresh("fld"), gen.c()])
        elif what == "remove" and it["fields"]:
            it["fields"].pop(r.randrange(len(it["fields"])))
        elif what == "default" and it["fields"]:
            r.choice(it["fields"])[1] = gen.c()
        elif what == "base":
            at = items.index(it)
            dcs = [o["name"] for o in items[:at] if o["k"] == "dc"]
            it["base"] = r.choice(dcs + [None])
        return f"{role}:dataclass-{what}"
    if k == "enum":
        what = r.choice(["add", "remove", "value"])
        used = {v for _, v in it["members"]}
        if what == "add":
            it["members"].append([gen.fresh("M").upper(),
                                  r.choice([v for v in range(1, 60) if v not in used])])
        elif what == "remove" and len(it["members"]) > 1:
            it["members"].pop(r.randrange(len(it["members"])))
        elif what == "value":
            r.choice(it["members"])[1] = r.choice([v for v in range(1, 60) if v not in used])
        return f"{role}:enum-{what}"
    raise ValueError(k)


def _edit_class(gen: Gen, prog: dict, role: str, it: dict) -> str:
    r = gen.rng
    items = prog[role]["items"]
    what = r.choice(["method-body", "method-body", "add-method", "remove-method", "tag",
                     "method-kind", "super", "base", "abstract", "method-comments", "deco"])
    methods = it["methods"]
    plain = [m for m in methods if not m.get("abstract")]
    if what == "method-body" and plain:
        r.choice(plain)["c"] = gen.c()
    elif what == "add-method":
        methods.insert(r.randint(0, len(methods)), gen.method(it))
    elif what == "remove-method" and len(methods) > 1:
        methods.pop(r.randrange(len(methods)))
    elif what == "tag":
        it["tag"] = gen.c()
    elif what == "method-kind" and plain:
        r.choice(plain)["kind"] = r.choice(["plain", "prop", "cls", "static"])
    elif what == "super" and plain:
        m = r.choice(plain)
        if m["kind"] == "plain":
            m["super"] = not m.get("super")
    elif what == "base":
        at = items.index(it)
        classes = [o["name"] for o in items[:at] if o["k"] == "class"]
        if role == "b":
            return f"{role}:class-noop"
        it["base"] = r.choice(classes + [None])
    elif what == "abstract" and it.get("abc"):
        if r.random() < 0.6:
            methods.append({"name": gen.fresh("run"), "kind": "plain", "c": 0, "abstract": True})
        else:
            abstract = [m for m in methods if m.get("abstract")]
            if abstract:
                methods.remove(r.choice(abstract))
    elif what == "deco" and role != "b":
        cdecos = [o["name"] for o in items[:items.index(it)] if o["k"] == "cdeco"]
        it["deco"] = None if it.get("deco") or not cdecos else r.choice(cdecos)
    elif what == "method-comments" and plain:
        m = r.choice(plain)
        m["comments"] = max(0, m.get("comments", 0) + r.choice([-1, 1, 2]))
    else:
        return f"{role}:class-noop"
    return f"{role}:class-{what}"


def _edit_b(gen: Gen, prog: dict) -> str:
    r = gen.rng
    b = prog["b"]
    roll = r.random()
    if roll < 0.15:
        name = gen.fresh("f")  # a name a does not have yet; it gains it later
        prog["pending"].append(name)
        gen.b_import(prog, name, "func")
        return "b:import-missing-name"
    if roll < 0.5 and gen.b_import(prog):
        return "b:add-import"
    if roll < 0.7 and b["imports"]:
        name = r.choice(b["imports"])
        if name in prog["pending"]:
            return "b:noop"
        b["imports"].remove(name)
        b["items"] = [it for it in b["items"] if name not in (it.get("of"), it.get("base"))]
        return "b:remove-import"
    if b["items"]:
        return _edit_item(gen, prog, "b", r.choice(b["items"]))
    return "b:noop"


def _edit_pkg(gen: Gen, prog: dict) -> str:
    r = gen.rng
    exports = prog["pkg"]["exports"]
    names = [it["name"] for it in prog["core"]["items"] if it["k"] not in ("deco", "cdeco")]
    missing = [n for n in names if n not in exports]
    if missing and (r.random() < 0.6 or not exports):
        exports.append(r.choice(missing))
        return "pkg:add-export"
    if exports:
        exports.remove(r.choice(exports))
        return "pkg:remove-export"
    return "pkg:noop"
