"""Break the engine on purpose, one small change at a time, and check the tests notice.

Each mutation names a file of the package, an exact snippet in it and what to
put instead, and the tests that must then fail.  For each one the package is
copied to a temporary directory, the snippet is replaced there, and pytest runs
the listed tests with that copy first on the path (the test driver starts its
kernels with it too; see ``AUTORELOAD_KERNEL_MUTANT`` in tests/driver.py).
The working tree is never modified.

A mutation is *caught* when a listed test fails (or times out), *survived*
when they all pass, and *stale* when its snippet is no longer in the file
(the engine changed under it: update the list).  Not part of the default test
run: it starts many kernels.

    python benchmarks/mutate.py                 # every mutation
    python benchmarks/mutate.py -k same_tick    # those whose id contains the word
    python benchmarks/mutate.py --check         # only report stale snippets
"""

from __future__ import annotations

import argparse
import os
import shutil
import subprocess
import sys
import tempfile
import time
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGE = ROOT / "src" / "autoreload_kernel"
MUTANT_ENV = "AUTORELOAD_KERNEL_MUTANT"

# Test selections (pytest node ids or files, relative to the repository).
DOC = "tests/test_documented.py"
FAULTS = "tests/test_faults.py"
SCEN = "tests/test_scenarios.py"
REGR = "tests/test_regressions.py"
#: the adaptations of IPython's own autoreload tests
SUITE = ("tests/test_ipython_shell_suite.py", "tests/test_ipython_deduper_suite.py",
         "tests/test_ipython_deduper_reliability.py")
SHELL = "tests/test_kernel_shell.py"
CONFIG = "tests/test_config.py"


@dataclass
class Mutation:
    id: str
    file: str  # relative to src/autoreload_kernel
    snippet: str
    replacement: str
    tests: tuple[str, ...]
    why: str = ""
    #: more (file, snippet, replacement) edits that belong to the same breakage
    also: tuple[tuple[str, str, str], ...] = ()


M = Mutation
MUTATIONS: list[Mutation] = [
    # -- issue 12: the eleven the audit found unpinned ------------------------------------
    M("hide_errors_ignored", "report.py",
      "        if self.hide_errors:\n            return\n", "",
      (f"{DOC}::test_hide_errors_flag_hides_failures_but_keeps_the_record",)),
    M("full_flag_ignored", "magics.py",
      'r.full = args.full or mode.endswith("-")', "r.full = False",
      (f"{DOC}::test_full_flag_and_trailing_dash_rerun_whole_modules",)),
    M("notes_never_shown", "report.py",
      '            self._once(("note", note), f"[autoreload] note: {note}")', "            pass",
      (f"{DOC}::test_reload_notes_are_shown_once",)),
    M("dot_prefix_matching_broken", "userpaths.py",
      "return name in self._exact or name.startswith(self._prefixes)", "return name in self._exact",
      (f"{DOC}::test_exclude_prefix_and_name_cover_submodules_only",
       f"{DOC}::test_include_prefix_watches_an_installed_package")),
    M("name_matching_skips_submodules", "userpaths.py",
      "self._never_exact, self._never_prefixes = never._exact, never._prefixes",
      "self._never_exact, self._never_prefixes = never._exact, tuple(\n"
      "            p for p in never._prefixes if p[:-1] not in self._exclude.patterns)",
      (f"{DOC}::test_exclude_prefix_and_name_cover_submodules_only",)),
    M("star_import_takes_private_names", "bindings.py",
      '            if imp.attr == "*" and (\n'
      '                name.startswith("_") if public is None else name not in public\n'
      "            ):",
      '            if imp.attr == "*" and False:',
      (f"{DOC}::test_star_import_updates_public_names_only",)),
    M("same_tick_window_disabled", "sources.py",
      "return read_at_ns - st.st_mtime_ns > RACY_NS", "return True",
      (f"{DOC}::test_change_with_an_unchanged_stamp_is_seen_while_the_mtime_is_recent",)),
    M("function_dict_not_copied", "function_patching.py",
      "        for key, value in new.__dict__.items():\n"
      "            before = old.__dict__.get(key, _EMPTY)\n",
      "        for key, value in ():\n            before = old.__dict__.get(key, _EMPTY)\n",
      (f"{DOC}::test_function_attributes_are_copied_onto_the_old_function",)),
    M("lost_directory_not_rewatched", "changes.py",
      "        if lost:\n", "        if False:\n",
      (f"{DOC}::test_directory_deleted_and_recreated_after_a_check_is_watched_again",)),
    M("symlinked_file_not_polled", "watch_list.py",
      "if os.path.islink(path) or not self._watch_dir_of(path):", "if not self._watch_dir_of(path):",
      (f"{DOC}::test_symlinked_module_file_is_polled",),
      also=(("sources.py", "polled = link or not watched_first", "polled = not watched_first"),)),
    M("class_data_not_kept", "plan.py",
      "            if not names.loads & rebound:\n                same.update(names.stores)",
      "            pass",
      (f"{DOC}::test_class_attributes_with_unchanged_statements_keep_runtime_values",)),
    M("notebook_owner_guard_off", "bindings.py",
      'if where == "notebook" and notebook.owner_of(local) not in (None, source):',
      "if False:",
      (f"{DOC}::test_name_rebound_by_another_star_import_is_left_alone",
       f"{DOC}::test_name_rebound_by_a_named_import_after_a_star_import_is_left_alone")),
    M("star_import_does_not_take_ownership", "bindings.py",
      "            if later > when and _exports(sys.modules.get(module), local):",
      "            if False:",
      (f"{DOC}::test_name_rebound_by_another_star_import_is_left_alone",)),

    M("debugger_sees_no_reload", "engine.py",
      'if self.mode == "off" and not force:', "if True:",
      ("tests/test_debugger.py::test_breakpoint_on_a_line_only_the_reloaded_code_has",),
      "the debugger test must hold only after a reload"),
    M("poll_trait_uses_inotify", "kernel.py",
      "use_inotify=not self.poll,", "use_inotify=True,",
      (f"{CONFIG}::test_poll_trait_finds_edits_without_inotify",),
      "the poll test must tell polling from inotify by what it sees, not by the status line",
      also=(("watch_list.py", '            return "inotify"', '            return "stat polling"'),)),

    # -- faults (issue 9 section 2) --------------------------------------------------
    M("interrupted_version_runs_again", "engine.py",
      "                    self.report.interrupted(name, read.path, stop.lineno, read.source)",
      "                    pass",
      (f"{FAULTS}::test_interrupt_during_reload_abandons_it_and_does_not_run_it_again",)),
    M("user_code_not_interruptible", "applying.py",
      "gate.open() if gate is not None else nullcontext()", "nullcontext()",
      (f"{FAULTS}::test_interrupted_version_runs_again_once_the_file_changes",)),
    M("engine_work_interruptible", "engine.py",
      "with self.lock, self.gate.held():", "with self.lock:",
      (f"{FAULTS}::test_interrupt_while_the_engine_patches_waits_for_the_patching",)),
    M("percent_autoreload_does_not_retry", "engine.py",
      "if (failure is not None and not failure.retry and not force",
      "if (failure is not None and not failure.retry",
      (f"{FAULTS}::test_interrupt_during_reload_abandons_it_and_does_not_run_it_again",)),
    M("fifo_opened", "changes.py",
      "if not stat.S_ISREG(st.st_mode):", "if stat.S_ISDIR(st.st_mode):",
      (f"{FAULTS}::test_file_replaced_by_something_unreadable",)),
    M("unreadable_file_silent", "changes.py",
      "                out.extend(self._unreadable(name, w, err))", "                pass",
      (f"{FAULTS}::test_file_replaced_by_something_unreadable", f"{FAULTS}::test_unreadable_file")),
    M("empty_file_loaded", "engine.py",
      "if _blank(read.source) and not _blank(self.store.baselines[read.name].source):",
      "if False:",
      (f"{FAULTS}::test_empty_file_then_the_full_write",)),
    M("bad_bytes_without_line", "plan.py",
      "raise (_bad_bytes(source) or ReloadFailed.at(err, path)) from None",
      "raise ReloadFailed.at(err, path) from None",
      (f"{FAULTS}::test_binary_or_badly_encoded_file",)),
    M("no_caret", "report.py",
      "excerpt=_excerpt(error)", 'excerpt=""',
      (f"{FAULTS}::test_syntax_error_shows_the_line_and_a_caret_once",)),
    M("line_number_twice", "report.py",
      'return f"{type(error).__name__}: {error.msg}"', 'return f"{type(error).__name__}: {error}"',
      (f"{FAULTS}::test_syntax_error_shows_the_line_and_a_caret_once",)),
    M("cause_hidden", "report.py",
      "    if cause is not None:", "    if False:",
      (f"{FAULTS}::test_new_code_raising_in_a_decorator_metaclass_or_set_name",)),
    M("other_file_line_hidden", "plan.py",
      "raised_at = _raised_at(error, path) if ran else None", "raised_at = None",
      (f"{FAULTS}::test_decorator_from_another_file_names_both_lines",)),
    M("not_all_or_nothing", "applying.py",
      "        ns.clear()\n        ns.update(before)\n", "",
      (f"{FAULTS}::test_new_code_raising_in_a_decorator_metaclass_or_set_name",)),
    M("engine_bug_message_without_way_out", "kernel.py",
      'f"or start the kernel with {DISABLE_ENV}=1. Please report this."',
      '"Please report this."',
      (f"{FAULTS}::test_engine_bug_says_once_how_to_turn_it_off",)),
    M("engine_bug_escapes", "kernel.py",
      "        except BaseException as err:  # noqa: BLE001 - the reply must always be sent\n"
      "            self._internal_error(err)\n        finally:",
      "        except KeyboardInterrupt as err:\n"
      "            self._internal_error(err)\n        finally:",
      (f"{FAULTS}::test_engine_bug_says_once_how_to_turn_it_off",)),

    # -- what the README promises (the audit's other twenty, and more) ----------------
    M("baseline_not_taken_at_import", "sources.py",
      "store.record(fullname, path, data, st, read_at", "(lambda *a: None)(fullname, path, data, st, read_at",
      (SCEN, REGR)),
    M("touched_file_reruns", "changes.py",
      "data != w.source))", "True))",
      (SCEN, *SUITE)),
    M("inotify_events_dropped", "inotify.py",
      "                touched.add(directory + os.sep + name",
      "                (directory + os.sep + name",
      (REGR, DOC)),
    M("always_whole_module", "plan.py",
      "    if full or old is None:", "    if True:",
      (f"{DOC}::test_full_flag_and_trailing_dash_rerun_whole_modules", SCEN)),
    M("dependent_statements_not_rerun", "plan.py",
      "    return bool(rebound and _mentions(stmt, rebound)",
      "    return bool(False and _mentions(stmt, rebound)",
      (SCEN, REGR)),
    M("function_code_not_patched", "function_patching.py",
      "        old.__code__ = new.__code__\n", "",
      (SCEN,)),
    M("defaults_not_patched", "function_patching.py",
      "        old.__defaults__ = new.__defaults__\n", "",
      (SCEN, *SUITE)),
    M("lru_cache_kept", "function_patching.py",
      "            old.cache_clear()  # its results came from the old code", "            pass",
      (SCEN,)),
    M("from_import_copies_not_updated", "bindings.py",
      "                ns[local] = new\n", "                pass\n",
      (SCEN, REGR)),
    M("dependency_order_ignored", "ordering.py",
      "        for dep in sorted(deps.get(name, set()) & wanted, key=names.index):",
      "        for dep in ():",
      (f"{DOC}::test_modules_saved_together_reload_in_dependency_order", SCEN, *SUITE)),
    M("tracebacks_show_old_lines", "engine.py",
      "            linecache.cache.pop(read.path, None)", "            pass",
      (f"{DOC}::test_change_with_an_unchanged_stamp_is_seen_while_the_mtime_is_recent",)),
    M("failure_shown_every_cell", "report.py",
      "            if key in self._shown:\n                continue\n", "",
      (SCEN, CONFIG, FAULTS)),
    M("failures_never_retried", "engine.py",
      "                failure.retry = True\n", "",
      (SCEN, REGR)),
    M("mode_off_ignored", "engine.py",
      'if self.mode == "off" and not force:', "if False:",
      (CONFIG, SHELL)),
    M("explicit_mode_reloads_all", "engine.py",
      "            return name in self.explicit", "            return True",
      (*SUITE, SCEN)),
    M("opt_out_ignored", "engine.py",
      'if getattr(module, "__autoreload__", True) is False:', "if False:",
      (SCEN,)),
    M("aimport_minus_ignored", "engine.py",
      "        if name in self.skipped:\n            return False\n", "",
      (*SUITE, SCEN)),
    M("complete_does_not_check", "kernel.py",
      "    async def do_complete(self, code, cursor_pos):\n        self._check(show_errors=False)",
      "    async def do_complete(self, code, cursor_pos):\n        pass",
      (SHELL,)),
    M("docstring_not_updated", "applying.py",
      '                ns["__doc__"] = plan.docstring', "                pass",
      (f"{DOC}::test_module_docstring_follows_the_edit", SCEN, *SUITE)),
    M("removed_names_stay", "applying.py",
      "            result.rebound.append((name, ns.pop(name), MISSING))",
      "            result.rebound.append((name, ns.get(name), MISSING))",
      (SCEN, *SUITE)),
]


def _run_tests(mutant_dir: str | None, tests, timeout: float) -> tuple[str, float, str]:
    env = dict(os.environ)
    if mutant_dir is not None:
        env["PYTHONPATH"] = mutant_dir + os.pathsep + env.get("PYTHONPATH", "")
        env[MUTANT_ENV] = mutant_dir
    cmd = [sys.executable, "-m", "pytest", "-x", "-q", "-p", "no:cacheprovider",
           "--timeout", "120", *tests]
    started = time.monotonic()
    try:
        proc = subprocess.run(cmd, cwd=ROOT, env=env, capture_output=True, text=True,
                              timeout=timeout)
    except subprocess.TimeoutExpired:
        return "timeout", time.monotonic() - started, ""
    tail = (proc.stdout.strip().splitlines() or [""])[-1]
    outcome = {0: "passed", 1: "failed"}.get(proc.returncode, f"error {proc.returncode}")
    return outcome, time.monotonic() - started, tail


def _copy_with(mutation: Mutation | None, into: str) -> str:
    """A copy of the package in ``into`` with the mutation applied; the status."""
    target = Path(into) / "autoreload_kernel"
    shutil.copytree(PACKAGE, target, ignore=shutil.ignore_patterns("__pycache__"))
    if mutation is None:
        return "ok"
    for file, snippet, replacement in ((mutation.file, mutation.snippet, mutation.replacement),
                                       *mutation.also):
        path = target / file
        text = path.read_text()
        count = text.count(snippet)
        if count == 0:
            return "stale"
        if count > 1:
            return f"ambiguous ({count} places)"
        path.write_text(text.replace(snippet, replacement))
    return "ok"


def main(argv=None) -> int:
    ap = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawTextHelpFormatter)
    ap.add_argument("-k", default="", help="only mutations whose id contains this")
    ap.add_argument("--check", action="store_true", help="only report stale or ambiguous snippets")
    ap.add_argument("--no-baseline", action="store_true",
                    help="skip running the tests on the unbroken copy first")
    ap.add_argument("--timeout", type=float, default=900, help="seconds per mutation")
    args = ap.parse_args(argv)
    chosen = [m for m in MUTATIONS if args.k in m.id]
    ids = [m.id for m in MUTATIONS]
    assert len(ids) == len(set(ids)), "duplicate mutation ids"

    rows, bad = [], 0
    if not args.check and not args.no_baseline:
        tests = sorted({t for m in chosen for t in m.tests})
        with tempfile.TemporaryDirectory(prefix="ark-mutant-") as tmp:
            _copy_with(None, tmp)
            outcome, secs, tail = _run_tests(tmp, tests, args.timeout * 3)
        print(f"baseline (unbroken copy): {outcome} in {secs:.0f} s  {tail}", flush=True)
        if outcome != "passed":
            print("the tests fail without any mutation: fix that first")
            return 2
    for m in chosen:
        with tempfile.TemporaryDirectory(prefix="ark-mutant-") as tmp:
            status = _copy_with(m, tmp)
            if status != "ok" or args.check:
                verdict, secs, tail = (status, 0.0, "") if status != "ok" else ("applies", 0.0, "")
            else:
                outcome, secs, tail = _run_tests(tmp, m.tests, args.timeout)
                verdict = {"failed": "caught", "timeout": "caught (timeout)",
                           "passed": "SURVIVED"}.get(outcome, outcome)
        bad += verdict not in ("caught", "caught (timeout)", "applies")
        rows.append((m.id, verdict, secs))
        print(f"{m.id:42} {verdict:18} {secs:6.0f} s  {tail}", flush=True)

    caught = sum(v.startswith("caught") for _, v, _ in rows)
    if not args.check:
        print(f"\n{caught} of {len(rows)} mutations caught"
              + (f"; {len(rows) - caught} not: "
                 + ", ".join(f"{i} ({v})" for i, v, _ in rows if not v.startswith("caught"))
                 if caught < len(rows) else ""))
    return 1 if bad else 0


if __name__ == "__main__":
    sys.exit(main())
