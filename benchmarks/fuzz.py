"""Long mode of the differential fuzz test: many random edit sequences, each save
compared with a fresh import of the final source.

    python benchmarks/fuzz.py --sequences 2000 --seed 1

Prints one line per mismatch class (probe x edits) with examples; exits 1 on
any mismatch.  The CI sample is tests/test_fuzz.py (same code, fixed seed).
"""

import argparse
import contextlib
import sys
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent.parent / "tests"))

from fuzzing.runner import Session, body_edits_always, counting_local_edits  # noqa: E402


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--sequences", type=int, default=2000)
    parser.add_argument("--seed", type=int, default=1)
    parser.add_argument("--first", type=int, default=0, help="index of the first sequence")
    parser.add_argument("--examples", type=int, default=3, help="examples shown per class")
    parser.add_argument("--body-edits-always", action="store_true",
                        help="every body-only edit takes the bytecode path, however small")
    parser.add_argument("--prepare", action="store_true",
                        help="each save's plans are built first by the preparer, as between "
                             "cells, and the check takes them")
    args = parser.parse_args()
    with (body_edits_always() if args.body_edits_always else contextlib.nullcontext()) as taken, \
            counting_local_edits() as local:
        session = Session(args.seed, args.prepare)
        try:
            summary = session.run(args.sequences, first=args.first)
        finally:
            session.close()
    print(summary.report(args.examples))
    if taken is not None:
        print(f"body-only plans made from the bytecode: {taken['body-only plans']}")
    if args.prepare:
        print("plans built ahead: " + ", ".join(
            f"{n} {what}" for what, n in sorted(summary.prepared.items())))
    print("plans told from one definition's bytecode: " + ", ".join(
        f"{n} {what}" for what, n in sorted(local.items())))
    return 1 if summary.mismatches else 0


if __name__ == "__main__":
    sys.exit(main())
