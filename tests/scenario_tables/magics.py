"""Reload scenarios: magics that change mode/reporting: one kernel each."""

from scenario_steps import Cell, F1, F2, Scenario, Write


MAGICS = [
    Scenario("print_flag_reports_module", [
        Write({"{m}.py": F1, "{m}_quiet.py": F1}),
        Cell("import {m}, {m}_quiet\n%autoreload --print"),
        Write({"{m}.py": F2}),
        Cell("assert {m}.f() == 2", out=(r"\b{m}\b",), lacks=(r"{m}_quiet",)),
    ]),
    Scenario("print_short_flag_reports_module", [
        Write({"{m}.py": F1}),
        Cell("import {m}\n%autoreload -p"),
        Write({"{m}.py": F2}),
        Cell("assert {m}.f() == 2", out=(r"\b{m}\b",)),
    ]),
    Scenario("mode_0_disables_and_2_reenables", [
        Write({"{m}.py": F1}),
        Cell("import {m}\n%autoreload 0"),
        Write({"{m}.py": F2}),
        Cell("assert {m}.f() == 1, {m}.f()"),
        Cell("%autoreload 2"),
        Write({"{m}.py": "def f():\n    return 'three'\n"}),
        Cell("assert {m}.f() == 'three', {m}.f()"),
    ]),
    Scenario("mode_off_word_disables", [
        Write({"{m}.py": F1}),
        Cell("import {m}\n%autoreload off"),
        Write({"{m}.py": F2}),
        Cell("assert {m}.f() == 1, {m}.f()"),
        Cell("%autoreload 2"),
        Write({"{m}.py": "def f():\n    return 'three'\n"}),
        Cell("assert {m}.f() == 'three', {m}.f()"),
    ]),
    Scenario("mode_1_reloads_only_aimported", [
        Write({"{m}.py": F1, "{m}_other.py": F1}),
        Cell("import {m}, {m}_other\n%autoreload 1\n%aimport {m}"),
        Write({"{m}.py": F2, "{m}_other.py": F2}),
        Cell("assert {m}.f() == 2, {m}.f()\nassert {m}_other.f() == 1, {m}_other.f()"),
    ]),
    Scenario("aimport_minus_excludes_in_mode_2", [
        Write({"{m}.py": F1, "{m}_other.py": F1}),
        Cell("import {m}, {m}_other\n%aimport -{m}"),
        Write({"{m}.py": F2, "{m}_other.py": F2}),
        Cell("assert {m}.f() == 1, {m}.f()\nassert {m}_other.f() == 2, {m}_other.f()"),
    ]),
    Scenario("bare_autoreload_reloads_now", [
        Write({"{m}.py": F1}),
        Cell("import {m}\n%autoreload 0"),
        Write({"{m}.py": F2}),
        Cell("assert {m}.f() == 1"),
        Cell("%autoreload\nassert {m}.f() == 2, {m}.f()"),
    ]),
    Scenario("mode_3_reloads_like_2", [
        Write({"{m}.py": F1}),
        Cell("import {m}\n%autoreload 3"),
        Write({"{m}.py": F2 + "\ndef g():\n    return 'g'\n"}),
        Cell("assert {m}.f() == 2\nassert {m}.g() == 'g'"),
    ]),
    Scenario("load_ext_autoreload_runs_module_code_once", [
        Write({"{m}.py": "print('LOADED1')\n" + F1}),
        Cell("import {m}", count={"LOADED1": 1}),
        Cell("%load_ext autoreload\n%autoreload 2"),
        Write({"{m}.py": "print('LOADED2')\n" + F2}),
        Cell("assert {m}.f() == 2", count={"LOADED2": 1}),
        Cell("assert {m}.f() == 2", count={"LOADED2": 0}),
    ]),
]
