"""Reload scenarios: only what changed is re-executed; module state survives."""

from scenario_steps import COUNT, COUNTER, Cell, F1, F2, S


STATE = [
    S(
        "cache_dict_survives",
        {"{m}.py": """
            CACHE = {}

            def fill(k):
                CACHE[k] = k * 2
                return CACHE[k]

            def g():
                return 1
        """},
        "{m}.fill(1); {m}.fill(2)\ncache = {m}.CACHE",
        {"{m}.py": """
            CACHE = {}

            def fill(k):
                CACHE[k] = k * 2
                return CACHE[k]

            def g():
                return 2
        """},
        """
        assert {m}.g() == 2
        assert {m}.CACHE is cache
        assert {m}.CACHE == {1: 2, 2: 4}, {m}.CACHE
        """,
    ),
    S(
        "global_counter_rebinding_survives",
        {"{m}.py": "COUNT = 0\n\ndef bump():\n    global COUNT\n    COUNT += 1\n\ndef g():\n    return 1\n"},
        "{m}.bump(); {m}.bump(); {m}.bump()",
        {"{m}.py": "COUNT = 0\n\ndef bump():\n    global COUNT\n    COUNT += 1\n\ndef g():\n    return 2\n"},
        "assert {m}.g() == 2\nassert {m}.COUNT == 3, {m}.COUNT",
    ),
    S(
        "side_effect_not_rerun",
        {"{m}.py": COUNTER + F1},
        f"assert {COUNT} == 1",
        {"{m}.py": COUNTER + F2},
        f"assert {{m}}.f() == 2\nassert {COUNT} == 1, {COUNT}",
    ),
    S(
        "only_changed_statement_runs",
        {"{m}.py": "print('KEEP_{m}')\nprint('OLD_{m}')\n" + F1},
        "",
        {"{m}.py": "print('KEEP_{m}')\nprint('NEW_{m}')\n" + F2},
        Cell("assert {m}.f() == 2", count={"NEW_{m}": 1, "KEEP_{m}": 0, "OLD_{m}": 0}),
    ),
    S(
        "main_block_never_run",
        {"{m}.py": F1 + "\nif __name__ == '__main__':\n    print('MAIN_{m}')\n    raise SystemExit('main ran')\n"},
        "",
        {"{m}.py": F2 + "\nif __name__ == '__main__':\n    print('MAIN_{m}')\n    raise SystemExit('main ran')\n"},
        Cell("assert {m}.f() == 2", lacks=("MAIN_{m}", "main ran")),
    ),
    S(
        "constant_changed",
        {"{m}.py": "X = 1\n"},
        "",
        {"{m}.py": "X = 2\n"},
        "assert {m}.X == 2, {m}.X",
    ),
    S(
        "function_removed",
        {"{m}.py": F1 + "\ndef g():\n    return 'g'\n"},
        "",
        {"{m}.py": F2},
        "assert not hasattr({m}, 'g')\nassert {m}.f() == 2",
    ),
    S(
        "module_object_identity",
        {"{m}.py": F1},
        "import sys\nmod = {m}",
        {"{m}.py": F2},
        "assert sys.modules['{m}'] is mod\nassert mod.f() == 2",
    ),
]
