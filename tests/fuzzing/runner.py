"""Drive the reload engine through random edit sequences and compare with the oracle.

The engine runs in this process exactly as the kernel runs it: one
:class:`~autoreload_kernel.engine.Reloader` whose ``check()`` runs after each
save (the kernel calls it before the next cell).  Each sequence uses its own
directory and module names.  A sequence stops at its first mismatching save;
the mismatch is recorded with the edits of that save and the probes that differ.
"""

from __future__ import annotations

import contextlib
import copy
import io
import importlib
import random
import shutil
import sys
import tempfile
import threading
import time
from collections import Counter
from dataclasses import dataclass, field
from pathlib import Path

from autoreload_kernel.engine import Reloader

from .oracle import Oracle
from .probes import all_probes, make_held
from .program import ROLES, Gen, edit, file_names, module_names, render


@dataclass
class Mismatch:
    seed: int
    sequence: int
    step: int
    edits: list[str]
    diffs: list[tuple[str, str, str]]  # (probe, engine, oracle)

    def describe(self) -> str:
        lines = [f"seed {self.seed} sequence {self.sequence} save {self.step}: "
                 f"edits {self.edits}"]
        for probe, mine, theirs in self.diffs[:6]:
            lines.append(f"    {probe}: engine {mine[:200]}  fresh {theirs[:200]}")
        return "\n".join(lines)


@dataclass
class Summary:
    sequences: int = 0
    saves: int = 0
    skipped: int = 0
    mismatches: list[Mismatch] = field(default_factory=list)
    seconds: float = 0.0
    #: how often each kind of edit was made (to see that every kind is exercised)
    edits: Counter = field(default_factory=Counter)
    #: with ``prepare``: plans built ahead by kind, and how many checks used one
    prepared: Counter = field(default_factory=Counter)

    def by_class(self) -> Counter:
        return Counter(_classify(m) for m in self.mismatches)

    def report(self, examples: int = 3) -> str:
        lines = [f"{self.sequences} sequences, {self.saves} saves, {self.skipped} skipped, "
                 f"{len(self.mismatches)} mismatching sequences, {self.seconds:.1f} s"]
        kinds = Counter(e.split(":")[1] for e in self.edits.elements())
        lines.append("edits made: " + ", ".join(f"{k} {n}" for k, n in sorted(kinds.items())))
        shown: Counter = Counter()
        for cls, count in self.by_class().most_common():
            lines.append(f"  {count:5d}  {cls}")
            for m in self.mismatches:
                if _classify(m) == cls and shown[cls] < examples:
                    shown[cls] += 1
                    lines.append("      " + m.describe().replace("\n", "\n      "))
        return "\n".join(lines)


def _classify(m: Mismatch) -> str:
    """Probe kind x last edit kinds: enough to group one bug's mismatches."""
    probe = m.diffs[0][0]
    parts = probe.split(".")
    kind = parts[0].split(":")[0] + ":" + (parts[-1] if len(parts) > 2 else parts[0])
    edits = ",".join(sorted({e.split(":")[1] for e in m.edits}))
    return f"{kind} after [{edits}]"


class Session:
    """One engine and one oracle, for many sequences."""

    def __init__(self, seed: int, prepare: bool = False):
        self.seed = seed
        sys.dont_write_bytecode = True
        self.root = Path(tempfile.mkdtemp(prefix="fuzz-engine-"))
        # Only the sequences' modules are the user's: not this fuzzer, not the tests.
        loaded = sorted({name.split(".")[0] for name in sys.modules})
        self.reloader = Reloader(shell=None, use_inotify=False, exclude=loaded)
        self.reloader.start()
        self.oracle = Oracle()
        #: the engine's one-time notes: each names an object a reload could not
        #: patch in place (a documented limit), so objects held from before differ
        self.notes: list[str] = []
        self._report_reloaded = self.reloader.report.reloaded
        self.reloader.report.reloaded = self._reloaded
        self.summary = Summary()
        #: with ``prepare``, each save's plans are first built as between cells
        #: (prepared.Preparer) and the check takes them.  Its build is called
        #: here as its event-loop callback calls it after a save: this process
        #: has no inotify watcher and no loop, so the preparer is not started.
        self.preparer = None
        if prepare:
            from autoreload_kernel import prepared

            self.preparer = prepared.Preparer(self.reloader.finder, self.reloader.store,
                                              self.reloader)
            self.reloader.preparer = self.preparer
            prepared._GUARD.thread_id = threading.get_ident()  # what attach() sets

    def _check(self) -> None:
        """What the kernel does before a cell; notes are kept, not printed."""
        with contextlib.redirect_stderr(io.StringIO()):
            if self.preparer is not None:
                self._prepare()
            self.reloader.check(show_errors=False)
        if self.preparer is not None:
            self.summary.prepared["used"] = self.preparer.used

    def _prepare(self) -> None:
        for name in list(self.reloader.store.baselines):
            self.preparer._prepare(name)
            entry = self.preparer._ready.get(name)
            if entry is not None:
                found = entry.found
                self.summary.prepared[
                    "statement diff" if found is None else type(found).__name__] += 1

    def _reloaded(self, module, patched, added, removed, updated, notes, rebound=()):
        self.notes.extend(notes)
        self._report_reloaded(module, patched, added, removed, updated, notes, rebound)

    def close(self) -> None:
        self.oracle.close()
        shutil.rmtree(self.root, ignore_errors=True)

    def run(self, sequences: int, saves=(3, 9), first: int = 0) -> Summary:
        start = time.perf_counter()
        for n in range(first, first + sequences):
            self.sequence(n, saves)
        self.summary.seconds += time.perf_counter() - start
        return self.summary

    # -- one sequence ---------------------------------------------------------------------
    def sequence(self, n: int, saves) -> None:
        rng = random.Random(f"{self.seed}/{n}")
        tag = f"fz{self.seed}_{n}_"
        gen = Gen(rng, tag)
        prog = gen.program()
        names, files = module_names(tag), file_names(tag)
        root = self.root / f"s{n}"
        texts = render(prog)
        for rel, text in texts.items():
            _write(root, rel, text)
        self.summary.sequences += 1
        sys.path.insert(0, str(root))
        try:
            good = {"model": copy.deepcopy(prog),
                    "sources": {role: texts[files[role]] for role in ROLES}}
            reply = self._ask(prog, names, files, good, [])
            if reply["fell_back"] or reply["broken"]:
                self.summary.skipped += 1  # the generator made a program that never imports
                return
            try:
                mods = {role: importlib.import_module(names[role]) for role in
                        ("pkg", "core", "a", "b")}
            except Exception:  # noqa: BLE001
                self.summary.skipped += 1
                return
            self._check()
            held = make_held({r: prog[r] for r in ROLES}, mods)
            paths = {role: str(root / rel) for role, rel in files.items()}
            noted: set[str] = set()  # classes a note said were not patched in place
            for step in range(1, rng.randint(*saves) + 1):
                edits = [edit(gen, prog) for _ in range(rng.choice([1, 1, 1, 2, 3]))]
                self.summary.edits.update(edits)
                new = render(prog)
                for rel, text in new.items():
                    if text != texts[rel]:
                        _write(root, rel, text)
                texts = new
                self._check()
                self.summary.saves += 1
                for note in self.notes:
                    noted.add(note.split(":")[0].split(".")[0])
                # and what derives from them, also classes added since, and those
                # a module whose last save failed still holds (its good model)
                exempt = set().union(*(_derived(prog, name) | _derived(good["model"], name)
                                       for name in noted))
                self.notes.clear()
                held = {k: v for k, v in held.items()
                        if k.split(":", 1)[1].split(".")[1] not in exempt}
                self._ask(prog, names, files, good, sorted(held), wait=False)
                # Probe while the oracle works, guessing that it fails where the
                # engine failed; probe again if not (then .failed differs anyway).
                failed = {r for r in ROLES if names[r] in self.reloader.report.failures}
                mine = self._probe(prog, good, names, paths, held, failed, set())
                reply = self.oracle.receive()
                if set(reply["fell_back"]) | set(reply["broken"]) != failed or reply["broken"]:
                    failed = set(reply["fell_back"]) | set(reply["broken"])
                    mine = self._probe(prog, good, names, paths, held, failed,
                                       set(reply["broken"]))
                for role in ROLES:
                    mine[f"{role}.failed"] = repr(names[role] in self.reloader.report.failures)
                    reply["probes"][f"{role}.failed"] = repr(role in failed)
                diffs = _differences(mine, reply["probes"], exempt)
                if diffs:
                    self.summary.mismatches.append(Mismatch(self.seed, n, step, edits, diffs))
                    return
                for role in ROLES:
                    if role not in failed:
                        good["model"][role] = copy.deepcopy(prog[role])
                        good["sources"][role] = texts[files[role]]
        finally:
            sys.path.remove(str(root))
            for name in list(sys.modules):
                if name.startswith(tag):
                    del sys.modules[name]
                    self.reloader.store.baselines.pop(name, None)
            self.reloader.report.failures.clear()
            shutil.rmtree(root, ignore_errors=True)

    @staticmethod
    def _probe(prog, good, names, paths, held, failed, broken) -> dict:
        effective = dict(prog, **{r: good["model"][r] for r in failed})
        mods = {r: sys.modules.get(names[r]) for r in ROLES if r not in broken}
        return all_probes(effective, mods, paths, held, failed)

    def _ask(self, prog, names, files, good, held_keys, wait=True) -> dict | None:
        return self.oracle.ask({
            "names": names, "files": files,
            "sources": {role: render(prog)[files[role]] for role in ROLES},
            "fallback": good["sources"],
            "model": {k: v for k, v in prog.items()},
            "good_model": good["model"], "held": held_keys,
        }, wait)


def _derived(prog: dict, name: str) -> set[str]:
    """``name``, the classes derived from it and b's functions using it."""
    found, grew = {name}, True
    while grew:
        grew = False
        for role in ("core", "a", "b"):
            for it in prog[role]["items"]:
                if (it.get("base") in found or it.get("of") in found) and it["name"] not in found:
                    found.add(it["name"])
                    grew = True
    return found


def _differences(mine: dict, theirs: dict, exempt=()) -> list[tuple[str, str, str]]:
    """Probes that differ.  Documented exceptions: objects of a class a note said
    could not be patched in place (``exempt``), and held objects the oracle
    cannot make from the final source."""
    out = []
    for key in sorted(mine.keys() | theirs.keys()):
        if exempt and len(key.split(".")) > 1 and key.split(".")[1] in exempt:
            continue
        if key.startswith("held:") and (key not in theirs or key not in mine):
            continue  # the oracle could not make that object from the final source
        a, b = mine.get(key, "<no probe>"), theirs.get(key, "<no probe>")
        if a != b:
            out.append((key, a, b))
    return out


def _write(root: Path, rel: str, text: str) -> None:
    path = root / rel
    path.parent.mkdir(parents=True, exist_ok=True)
    path.write_text(text)


def run(sequences: int, seed: int, saves=(3, 9), prepare: bool = False) -> Summary:
    session = Session(seed, prepare)
    try:
        return session.run(sequences, saves)
    finally:
        session.close()


@contextlib.contextmanager
def body_edits_always():
    """Every edit that changed only function bodies takes the bytecode path
    (:mod:`autoreload_kernel.code_diff`), however small; yields the count of
    plans it made, so a run can show that the path was taken."""
    from autoreload_kernel import code_diff, plan

    saved = code_diff.LARGE_SHARE, code_diff.SMALL_FILE, plan.body_edit
    taken = Counter()

    def counted(*args, **kwargs):
        edit = saved[2](*args, **kwargs)
        taken["body-only plans"] += edit is not None
        return edit

    code_diff.LARGE_SHARE, code_diff.SMALL_FILE, plan.body_edit = 0.0, 0, counted
    try:
        yield taken
    finally:
        code_diff.LARGE_SHARE, code_diff.SMALL_FILE, plan.body_edit = saved



@contextlib.contextmanager
def counting_local_edits():
    """Count the plans told from one top-level statement's bytecode
    (:mod:`autoreload_kernel.local_edit`), so a run can show that small edits
    took that path; yields the counter."""
    from autoreload_kernel import plan

    saved = plan.local_edit
    taken = Counter()

    def counted(*args, **kwargs):
        edit = saved(*args, **kwargs)
        taken["local plans"] += edit is not None
        taken["local plans that moved lines"] += edit is not None and bool(edit.moved)
        taken["local plans of methods"] += edit is not None and any(
            "." in name for name in _qualnames(edit))
        return edit

    plan.local_edit = counted
    try:
        yield taken
    finally:
        plan.local_edit = saved


def _qualnames(edit) -> list[str]:
    return [func.__qualname__ for func, _code, changed in edit.bodies.functions if changed]
