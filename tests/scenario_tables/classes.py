"""Reload scenarios: patched in place, instances and identity kept."""

from scenario_steps import S


CLS1 = "class C:\n    def f(self):\n        return 1\n"
CLS2 = "class C:\n    def f(self):\n        return 2\n"

CLASSES = [
    S(
        "method_body_existing_instance",
        {"{m}.py": CLS1},
        "old = {m}.C()",
        {"{m}.py": CLS2},
        "assert old.f() == 2, old.f()\nassert {m}.C().f() == 2",
    ),
    S(
        "method_added",
        {"{m}.py": CLS1},
        "old = {m}.C()",
        {"{m}.py": CLS1 + "    def g(self):\n        return 'g'\n"},
        "assert old.g() == 'g'\nassert old.f() == 1",
    ),
    S(
        "method_removed",
        {"{m}.py": CLS1 + "    def g(self):\n        return 'g'\n"},
        "old = {m}.C()\nassert old.g() == 'g'",
        {"{m}.py": CLS2},
        """
        assert not hasattr(old, 'g')
        assert not hasattr({m}.C, 'g')
        try:
            old.g()
        except AttributeError:
            pass
        else:
            raise AssertionError('removed method still callable')
        assert old.f() == 2
        """,
    ),
    S(
        "property",
        {"{m}.py": """
            class Sq:
                def __init__(self, side):
                    self.side = side

                @property
                def area(self):
                    return self.side * self.side
        """},
        "old = {m}.Sq(3)\nassert old.area == 9",
        {"{m}.py": """
            class Sq:
                def __init__(self, side):
                    self.side = side

                @property
                def area(self):
                    return self.side * self.side * 100
        """},
        "assert old.area == 900, old.area\nassert old.side == 3",
    ),
    S(
        "classmethod",
        {"{m}.py": "class C:\n    @classmethod\n    def make(cls):\n        return (cls.__name__, 1)\n"},
        "old = {m}.C()\ncm = {m}.C.make",
        {"{m}.py": "class C:\n    @classmethod\n    def make(cls):\n        return (cls.__name__, 2)\n"},
        "assert {m}.C.make() == ('C', 2)\nassert old.make() == ('C', 2)\nassert cm() == ('C', 2), cm()",
    ),
    S(
        "staticmethod",
        {"{m}.py": "class C:\n    @staticmethod\n    def s():\n        return 1\n"},
        "old = {m}.C()\nsm = {m}.C.s",
        {"{m}.py": "class C:\n    @staticmethod\n    def s():\n        return 2\n"},
        "assert {m}.C.s() == 2\nassert old.s() == 2\nassert sm() == 2, sm()",
    ),
    S(
        "nested_class",
        {"{m}.py": "class Outer:\n    class Inner:\n        def f(self):\n            return 1\n"},
        "inner = {m}.Outer.Inner()\nInner = {m}.Outer.Inner",
        {"{m}.py": "class Outer:\n    class Inner:\n        def f(self):\n            return 2\n"},
        """
        assert inner.f() == 2, inner.f()
        assert isinstance(inner, {m}.Outer.Inner)
        assert Inner is {m}.Outer.Inner
        """,
    ),
    S(
        "slots_class",
        {"{m}.py": """
            class P:
                __slots__ = ('x',)

                def __init__(self, x):
                    self.x = x

                def f(self):
                    return self.x
        """},
        "p = {m}.P(3)",
        {"{m}.py": """
            class P:
                __slots__ = ('x',)

                def __init__(self, x):
                    self.x = x

                def f(self):
                    return self.x * 2
        """},
        "assert p.f() == 6, p.f()\nassert p.x == 3\nassert type(p) is {m}.P",
    ),
    S(
        "abc_and_super",
        {"{m}.py": """
            from abc import ABC, abstractmethod

            class Base(ABC):
                @abstractmethod
                def name(self):
                    ...

                def greet(self):
                    return 'hello ' + self.name()

            class Impl(Base):
                def name(self):
                    return 'impl1'

                def greet(self):
                    return super().greet() + '!'
        """},
        "old = {m}.Impl()\nassert old.greet() == 'hello impl1!'",
        {"{m}.py": """
            from abc import ABC, abstractmethod

            class Base(ABC):
                @abstractmethod
                def name(self):
                    ...

                def greet(self):
                    return 'hi ' + self.name()

            class Impl(Base):
                def name(self):
                    return 'impl2'

                def greet(self):
                    return super().greet() + '!!'
        """},
        """
        assert old.greet() == 'hi impl2!!', old.greet()
        assert {m}.Impl().greet() == 'hi impl2!!'
        assert isinstance(old, {m}.Base) and isinstance(old, {m}.Impl)
        assert issubclass({m}.Impl, {m}.Base)
        try:
            {m}.Base()
        except TypeError:
            pass
        else:
            raise AssertionError('abstract Base became instantiable')
        """,
    ),
    S(
        "subclass_in_other_module",
        {
            "{m}.py": "class Base:\n    def who(self):\n        return 'base1'\n",
            "{m}_sub.py": "import {m}\n\nclass Sub({m}.Base):\n    pass\n",
        },
        "import {m}_sub\ns = {m}_sub.Sub()",
        {"{m}.py": "class Base:\n    def who(self):\n        return 'base2'\n"},
        """
        assert s.who() == 'base2', s.who()
        assert isinstance(s, {m}.Base)
        assert {m}_sub.Sub.__bases__ == ({m}.Base,)
        """,
    ),
    S(
        "class_attribute_changed",
        {"{m}.py": "class C:\n    LIMIT = 1\n\n    def lim(self):\n        return self.LIMIT\n"},
        "old = {m}.C()",
        {"{m}.py": "class C:\n    LIMIT = 2\n\n    def lim(self):\n        return self.LIMIT\n"},
        "assert {m}.C.LIMIT == 2\nassert old.LIMIT == 2\nassert old.lim() == 2",
    ),
    S(
        "dataclass_field_added",
        {"{m}.py": """
            from dataclasses import dataclass

            @dataclass
            class P:
                x: int

                def norm(self):
                    return self.x
        """},
        "from {m} import P\nold = {m}.P(1)",
        {"{m}.py": """
            from dataclasses import dataclass

            @dataclass
            class P:
                x: int
                y: int = 0

                def norm(self):
                    return self.x + self.y
        """},
        """
        new = {m}.P(1, 2)
        assert new.y == 2
        assert repr(new) == 'P(x=1, y=2)', repr(new)
        assert {m}.P(1, 2) == {m}.P(1, 2)
        assert {m}.P(1, 2) != {m}.P(1, 3)  # __eq__ compares the new field too
        assert new.norm() == 3
        assert P is {m}.P
        assert P(5, 6).y == 6
        assert old.norm() == 1  # old instance: y falls back to the class default
        assert isinstance(old, {m}.P)
        """,
    ),
    S(
        "frozen_dataclass_method",
        {"{m}.py": """
            from dataclasses import dataclass

            @dataclass(frozen=True)
            class F:
                x: int

                def double(self):
                    return self.x * 2
        """},
        "old = {m}.F(4)",
        {"{m}.py": """
            from dataclasses import dataclass

            @dataclass(frozen=True)
            class F:
                x: int

                def double(self):
                    return self.x * 2 + 1
        """},
        """
        assert old.double() == 9, old.double()
        assert old == {m}.F(4)
        assert hash(old) == hash({m}.F(4))
        assert isinstance(old, {m}.F)
        """,
    ),
    S(
        "namedtuple_method",
        {"{m}.py": """
            from typing import NamedTuple

            class Pt(NamedTuple):
                x: int
                y: int = 0

                def total(self):
                    return self.x + self.y
        """},
        "old = {m}.Pt(1, 2)",
        {"{m}.py": """
            from typing import NamedTuple

            class Pt(NamedTuple):
                x: int
                y: int = 0

                def total(self):
                    return (self.x + self.y) * 10
        """},
        "assert old.total() == 30, old.total()\nassert isinstance(old, {m}.Pt)\nassert old == (1, 2)",
    ),
    S(
        "isinstance_and_type_identity",
        {"{m}.py": CLS1},
        "old = {m}.C()\nC0 = {m}.C",
        {"{m}.py": CLS2 + "    def g(self):\n        return 'g'\n"},
        """
        assert old.f() == 2
        assert isinstance(old, {m}.C)
        assert type(old) is {m}.C
        assert {m}.C is C0
        """,
    ),
    S(
        "pickle_old_instance",
        {"{m}.py": CLS1},
        "import pickle\nold = {m}.C()\nold.v = 5",
        {"{m}.py": CLS2},
        """
        back = pickle.loads(pickle.dumps(old))
        assert back.v == 5
        assert type(back) is {m}.C
        assert back.f() == 2
        """,
    ),
    S(
        "from_import_class_identity",
        {"{m}.py": CLS1},
        "from {m} import C",
        {"{m}.py": CLS2},
        "assert C is {m}.C\nassert C().f() == 2",
    ),
]
