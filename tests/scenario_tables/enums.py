"""Reload scenarios: members keep their identity, new members appear."""

from scenario_steps import S


ENUM1 = """
    from enum import Enum

    class Color(Enum):
        RED = 1
        GREEN = 2

        def label(self):
            return self.name.lower()
"""
ENUM2 = """
    from enum import Enum

    class Color(Enum):
        RED = 1
        GREEN = 2
        BLUE = 3

        def label(self):
            return self.name.upper()

        def code(self):
            return self.value * 10
"""

ENUMS = [
    S(
        "enum_members_keep_identity",
        {"{m}.py": ENUM1},
        "old = {m}.Color.RED\nlookup = {old: 'red'}\nfrom {m} import Color",
        {"{m}.py": ENUM2},
        """
        assert old is {m}.Color.RED
        assert isinstance(old, {m}.Color)
        assert {m}.Color(1) is old
        assert lookup[{m}.Color.RED] == 'red'
        assert Color is {m}.Color
        assert old.label() == 'RED'
        """,
    ),
    S(
        "enum_member_and_method_added",
        {"{m}.py": ENUM1},
        "old = {m}.Color.RED",
        {"{m}.py": ENUM2},
        """
        assert {m}.Color.BLUE.value == 3
        assert {m}.Color(3) is {m}.Color.BLUE
        assert {m}.Color['BLUE'] is {m}.Color.BLUE
        assert [c.name for c in {m}.Color] == ['RED', 'GREEN', 'BLUE']
        assert old.code() == 10
        assert old is {m}.Color.RED
        """,
    ),
]
