"""Reload scenarios: reporting in the shared kernel (read-only magics)."""

from scenario_steps import Cell, F1, F3, Scenario, Write


REPORTING = [
    Scenario("status_lists_failed_module", [
        Write({"{m}.py": F1}),
        Cell("import {m}"),
        Write({"{m}.py": "def f():\n    return 2\n\ndef g(:\n"}),
        Cell("assert {m}.f() == 1", err=(r"{m}\.py",)),
        Cell("%autoreload --status", out=(r"(?i)(\ball\b|mode\W+2\b)", r"\b{m}\b", "SyntaxError")),
        Write({"{m}.py": F3}),
        Cell("assert {m}.f() == 3"),
    ]),
]
