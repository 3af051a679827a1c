"""The reload engine's behaviour, as a table of scenarios run through the real kernel.

Every scenario is a list of steps (``Write``, ``Touch``, ``Delete``, ``Cell``),
described in ``scenario_steps.py``; the tables are in ``scenario_tables/``, one
module per group.  ``{m}`` stands for a module name unique to the test, so the
whole table shares one kernel per group.  Scenarios that change the reload mode
or the reporting settings run in a kernel of their own (``fresh_kernel``).

The table specifies the engine; it is expected to fail against a stub engine.
Never weaken, skip or xfail a scenario to make it pass.
"""

from __future__ import annotations

import pytest
from scenario_steps import params, run_scenario
from scenario_tables.classes import CLASSES
from scenario_tables.detection import DETECTION
from scenario_tables.enums import ENUMS
from scenario_tables.failures import FAILURES
from scenario_tables.functions import FUNCTIONS
from scenario_tables.magics import MAGICS
from scenario_tables.names import NAMES
from scenario_tables.reporting import REPORTING
from scenario_tables.state import STATE



GROUPS = {
    "detection": DETECTION, "functions": FUNCTIONS, "classes": CLASSES, "enums": ENUMS,
    "names": NAMES, "state": STATE, "failures": FAILURES, "reporting": REPORTING,
    "magics": MAGICS,
}
#: groups that change the kernel's mode get a kernel each; the rest share one
OWN_KERNEL = {"magics"}


@pytest.mark.parametrize(
    "group, scenario",
    [pytest.param(group, p.values[0], id=f"{group}-{p.id}")
     for group, table in GROUPS.items() for p in params(table)],
)
def test_scenario(request, modname, group, scenario):
    kernel = request.getfixturevalue("fresh_kernel" if group in OWN_KERNEL else "kernel")
    run_scenario(kernel, modname, scenario)


ALL = [s for table in GROUPS.values() for s in table]


def test_table_is_large_and_unique():
    ids = [s.id for s in ALL]
    assert len(ids) >= 70, len(ids)
    assert len(ids) == len(set(ids)), sorted(i for i in ids if ids.count(i) > 1)
