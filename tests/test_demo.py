"""The README's main-job command: `autoreload-kernel demo`, as a user runs it."""

import os
import shutil
import subprocess
import sys
from pathlib import Path


def _cli() -> list[str]:
    script = Path(sys.executable).with_name("autoreload-kernel")
    return [str(script)] if script.exists() else [shutil.which("autoreload-kernel")]


def test_demo_shows_the_edit_picked_up(tmp_path):
    proc = subprocess.run(
        _cli() + ["demo"], cwd=tmp_path, capture_output=True, text=True, timeout=180,
        env={**os.environ, "PYTHONDONTWRITEBYTECODE": ""},
    )
    assert proc.returncode == 0, proc.stderr
    out = proc.stdout
    assert "'a square of area 9'" in out
    assert "'a square of area 9 and perimeter 12'" in out
    assert "picked up by the next cell" in out
    cells = out.split("The edit to shapes.py")[0].split("In [")[1:]
    assert len(cells) == 4
    assert not any("%autoreload" in c or "%load_ext" in c for c in cells)
    assert list(tmp_path.iterdir()) == []  # it works in a throwaway directory


def test_cli_without_command_is_an_error():
    proc = subprocess.run(_cli(), capture_output=True, text=True, timeout=60)
    assert proc.returncode == 2
    assert "usage: autoreload-kernel" in proc.stderr
