"""Differential fuzz test (fixed seed): random modules, random edit sequences,
and after every save the engine's modules must answer every probe the way a
fresh interpreter importing the final source does (see tests/fuzzing).

The engine runs in this process the way the kernel runs it (one Reloader,
``check()`` after each save); the oracle is a separate Python process.
``python benchmarks/fuzz.py --sequences 2000 --seed N`` is the long mode.
"""

from fuzzing.runner import body_edits_always, counting_local_edits, run

SEED = 20261202
SEQUENCES = 100


def test_random_edit_sequences_match_a_fresh_import():
    with counting_local_edits() as local:
        summary = run(SEQUENCES, SEED, saves=(2, 5))
    # small edits inside one definition take the local bytecode path (local_edit.py)
    assert local["local plans"] >= SEQUENCES // 2, local
    assert local["local plans that moved lines"] >= SEQUENCES // 10, local
    assert local["local plans of methods"] >= 1, local
    assert summary.sequences == SEQUENCES
    assert summary.saves >= 2 * SEQUENCES
    assert summary.skipped < SEQUENCES // 10, summary.report()
    assert not summary.mismatches, summary.report()


def test_body_only_edits_by_bytecode_match_a_fresh_import():
    """The same, with every body-only edit taking the bytecode path (which the
    engine takes only for large edits, so the sequences above rarely reach it)."""
    with body_edits_always() as taken:
        summary = run(SEQUENCES, SEED + 1, saves=(2, 5))
    assert taken["body-only plans"] >= SEQUENCES // 4, taken
    assert summary.skipped < SEQUENCES // 10, summary.report()
    assert not summary.mismatches, summary.report()



def test_plans_prepared_between_cells_match_a_fresh_import():
    """The same, with each save's plan built first by the preparer, as between
    cells (prepared.py), and taken by the check: its small edits take the
    local path too (local_edit.LocalFound), and the result is the same."""
    summary = run(SEQUENCES, SEED + 2, saves=(2, 5), prepare=True)
    prepared = summary.prepared
    assert prepared["LocalFound"] >= SEQUENCES // 2, prepared
    assert prepared["statement diff"] >= SEQUENCES // 2, prepared
    assert prepared["used"] >= SEQUENCES, prepared
    assert summary.skipped < SEQUENCES // 10, summary.report()
    assert not summary.mismatches, summary.report()
