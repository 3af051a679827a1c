"""What we look at after each save: the same code runs in the reloaded process and
in the fresh interpreter, and the two answers must be equal.

Every answer is a string (a ``repr`` or ``!ErrorType``), so they travel as JSON.
Objects made before an edit ("held": old instances, early references, closures
made by a factory, enum members, module state) are compared with the same kind
of object made fresh in the oracle: that is the documented promise (objects
made before an edit follow the new code; unchanged module state is kept).
"""

from __future__ import annotations

import dataclasses
import inspect
import re
import sys

_ADDRESS = re.compile(r" at 0x[0-9a-f]+")
#: a class's lines come from its ``__firstlineno__`` on 3.13+ (the engine must
#: keep it right); before, inspect finds the class by parsing the file again
_CLASS_LINES = sys.version_info >= (3, 13)


def safe(fn) -> str:
    try:
        return _ADDRESS.sub("", repr(fn()))
    except Exception as err:  # noqa: BLE001 - the error type is the answer
        return f"!{type(err).__name__}"


def raise_line(fn, path: str) -> str:
    """The line a call that raises reports in ``path`` (the innermost such frame)."""
    try:
        fn()
    except Exception as err:  # noqa: BLE001
        tb, line = err.__traceback__, None
        while tb is not None:
            if tb.tb_frame.f_code.co_filename == path:
                line = tb.tb_lineno
            tb = tb.tb_next
        return f"{type(err).__name__}@{line}"
    return "no error"


def source_of(obj) -> str:
    def get():
        lines, start = inspect.getsourcelines(obj)
        return start, "".join(lines)
    return safe(get)


def _functions_of(value):
    if isinstance(value, (classmethod, staticmethod)):
        return [value.__func__]
    if isinstance(value, property):
        return [f for f in (value.fget, value.fset, value.fdel) if f is not None]
    if inspect.isfunction(value):
        return [value]
    return []


def _public(cls) -> list[str]:
    return sorted(n for n in dir(cls) if not n.startswith("_"))


def _attr_answers(obj, names) -> dict[str, str]:
    out = {}
    for name in names:
        def read(name=name):
            value = getattr(obj, name)
            return value() if callable(value) and not isinstance(value, type) else value
        out[name] = safe(read)
    return out


def class_probes(cls, path: str) -> dict[str, str]:
    out = {"mro": repr([c.__name__ for c in cls.__mro__]),
           "abstract": repr(sorted(getattr(cls, "__abstractmethods__", ()))),
           "public": repr(_public(cls))}
    if _CLASS_LINES:
        out["source"] = source_of(cls)
    for name, value in sorted(vars(cls).items()):
        for i, func in enumerate(_functions_of(value)):
            if inspect.unwrap(func).__code__.co_filename == path:
                out[f"src.{name}.{i}"] = source_of(func)
    inst = None
    try:
        inst = cls()
        out["new"] = "ok"
    except Exception as err:  # noqa: BLE001
        out["new"] = f"!{type(err).__name__}"
    out["cls-attrs"] = repr(_attr_answers(cls, [n for n in _public(cls)
                                                 if not inspect.isfunction(getattr(cls, n, None))
                                                 and not isinstance(vars(cls).get(n), property)]))
    if inst is not None and not dataclasses.is_dataclass(cls):
        out["inst-attrs"] = repr(_attr_answers(inst, _public(cls)))
    return out


def module_probes(model: dict, role: str, m, path: str) -> dict[str, str]:
    out: dict[str, str] = {"names": repr(sorted(n for n in vars(m) if not n.startswith("_"))),
                           "doc": repr(m.__doc__)}
    for it in model.get("items", ()):
        k, n = it["k"], it["name"]
        key = f"{role}.{n}"
        if not hasattr(m, n):
            out[key] = "absent"
            continue
        obj = getattr(m, n)
        if k in ("const", "state"):
            out[key] = repr(obj)
        elif k == "func":
            out[key + ".call"] = safe(lambda: obj(2))
            out[key + ".default"] = safe(lambda: obj())
            out[key + ".raise"] = raise_line(lambda: obj(None), path)
            out[key + ".source"] = source_of(obj)
            out[key + ".doc"] = repr(obj.__doc__)
            out[key + ".wrapped"] = safe(lambda: obj.__wrapped__(2))
        elif k == "closure":
            out[key + ".call"] = safe(lambda: obj(10)(2))
            out[key + ".raise"] = raise_line(lambda: obj(10)(None), path)
            out[key + ".source"] = safe(lambda: source_of(obj(10)))
        elif k == "alias":
            out[key + ".is"] = safe(lambda: obj is getattr(m, it["target"]))
            out[key + ".call"] = safe(lambda: obj(2))
        elif k == "table":
            out[key + ".is"] = safe(lambda: obj["f"] is getattr(m, it["target"]))
            out[key + ".call"] = safe(lambda: obj["f"](2))
        elif k == "use":
            out[key] = safe(obj)
        elif k == "class":
            for sub, answer in class_probes(obj, path).items():
                out[f"{key}.{sub}"] = answer
        elif k == "dc":
            out[key + ".fields"] = safe(lambda: [(f.name, f.default)
                                                 for f in dataclasses.fields(obj)])
            out[key + ".repr"] = safe(lambda: repr(obj()))
            out[key + ".eq"] = safe(lambda: obj() == obj())
            out[key + ".mro"] = repr([c.__name__ for c in obj.__mro__])
            if _CLASS_LINES:
                out[key + ".source"] = source_of(obj)
        elif k == "enum":
            out[key + ".members"] = safe(lambda: [(x.name, x.value) for x in obj])
            out[key + ".lookup"] = safe(lambda: [obj(v).name for _, v in it["members"]])
            if _CLASS_LINES:
                out[key + ".source"] = source_of(obj)
    return out


def make_held(models: dict, mods: dict, keys=None) -> dict:
    """Objects a user would hold from before an edit (see the module docstring)."""
    held = {}

    def put(key, make):
        if keys is not None and key not in keys:
            return
        try:
            held[key] = make()
        except Exception:  # noqa: BLE001 - nothing to hold
            pass

    for role, model in models.items():
        m = mods.get(role)
        if m is None:
            continue
        for it in model.get("items", ()):
            k, n = it["k"], it["name"]
            if not hasattr(m, n):
                continue
            obj = getattr(m, n)
            key = f"{role}.{n}"
            if k == "func":
                put("fn:" + key, lambda obj=obj: obj)
            elif k == "closure":
                put("cl:" + key, lambda obj=obj: obj(10))
            elif k == "state":
                put("st:" + key, lambda obj=obj: obj)
            elif k in ("class", "dc"):
                put(f"{k}:" + key, lambda obj=obj: obj())
                if k == "class":
                    for meth in it["methods"]:
                        if meth["kind"] == "plain" and not meth.get("abstract"):
                            put(f"bm:{key}.{meth['name']}",
                                lambda obj=obj, name=meth["name"]: getattr(obj(), name))
            elif k == "enum":
                for member, _value in it["members"]:
                    put(f"{'ie' if it.get('int') else 'en'}:{key}.{member}",
                        lambda obj=obj, member=member: obj[member])
    return held


def held_probes(held: dict, mods: dict, paths: dict) -> dict[str, str]:
    out = {}
    for key, h in held.items():
        kind, rest = key.split(":", 1)
        role, name = rest.split(".", 1)
        m = mods.get(role)
        if m is None:
            continue
        path = paths[role]
        p = "held:" + key
        if kind in ("fn", "cl"):
            out[p + ".call"] = safe(lambda: h(2))
            if kind == "fn":  # a closure made before a move keeps its lines (documented)
                out[p + ".raise"] = raise_line(lambda: h(None), path)
        elif kind == "st":
            out[p] = safe(lambda: h is getattr(m, name))
        elif kind == "bm":
            out[p] = safe(h)
        elif kind in ("class", "dc"):
            cls = getattr(m, name, None)
            out[p + ".type"] = safe(lambda: (type(h) is cls, isinstance(h, cls)))
            if kind == "class":
                out[p + ".attrs"] = repr(_attr_answers(h, _public(type(h))))
        elif kind in ("en", "ie"):
            ename, member = name.split(".")
            out[p + ".name"] = safe(lambda: h.name)
            if kind == "en":  # IntEnum members cannot change value (documented)
                out[p + ".is"] = safe(lambda: h is getattr(m, ename)[member])
                out[p + ".value"] = safe(lambda: h.value)
    return out


def cross_probes(prog: dict, mods: dict) -> dict[str, str]:
    """``from a import X`` in b and the package's re-exports: the same objects."""
    out = {}
    a, b = mods.get("a"), mods.get("b")
    if a is not None and b is not None:
        for name in prog["b"]["imports"]:
            out[f"b.from.{name}"] = safe(lambda: getattr(b, name) is getattr(a, name))
    p, core = mods.get("pkg"), mods.get("core")
    if p is not None and core is not None:
        out["pkg.all"] = safe(lambda: p.__all__)
        for name in prog["pkg"]["exports"]:
            out[f"pkg.from.{name}"] = safe(lambda: getattr(p, name) is getattr(core, name))
    return out


def all_probes(prog: dict, mods: dict, paths: dict, held: dict, failed=()) -> dict[str, str]:
    """Every probe.  For a module whose last save failed, the file on disk is not
    the code that runs (in either process), so its source text is not compared."""
    out = {}
    for role in ("core", "a", "b"):
        m = mods.get(role)
        if m is None:
            out[f"{role}.import"] = "unimportable"
            continue
        probes = module_probes(prog[role], role, m, paths[role])
        if role in failed:
            probes = {k: v for k, v in probes.items() if ".source" not in k and ".src." not in k}
        out.update(probes)
    out.update(cross_probes(prog, mods))
    out.update(held_probes(held, mods, paths))
    return out
