"""Differential fuzzing of the reload engine against a fresh import.

- :mod:`.program`: random modules (a model of plain dicts) and random edits of them
- :mod:`.probes`: what we look at after each save, the same code on both sides
- :mod:`.oracle`: a persistent fresh interpreter that imports the final source
- :mod:`.runner`: drives the engine the way the kernel does and compares
"""
