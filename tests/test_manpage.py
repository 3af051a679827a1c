"""The man page that the wheel installs documents every subcommand and option."""

import re
from pathlib import Path

from autoreload_kernel import cli, installer

MAN = Path(__file__).resolve().parents[1] / "share" / "man" / "man1" / "autoreload-kernel.1"


def test_man_page_names_every_command_and_option():
    text = MAN.read_text().replace("\\-", "-")
    for command in cli.SUBCOMMANDS:
        assert re.search(rf"^\.B {command}$", text, re.M), command
    options = set()
    for action in installer._parser()._subparsers._group_actions[0].choices.values():
        options |= {o for a in action._actions for o in a.option_strings if o.startswith("--")}
    options -= {"--help"}
    missing = {o for o in options if o not in text}
    assert not missing, missing
