"""The ``%autoreload`` modes: their numbers (IPython's) and their names (ours)."""

MODES = {"0": "off", "1": "explicit", "2": "all", "3": "complete"}
MODE_NUMBER = {name: number for number, name in MODES.items()}
