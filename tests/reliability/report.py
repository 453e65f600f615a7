"""``make reliability``: run the reliability suite (and the tests of the other suites it counts), print the
report table, and fail when anything was found: a double effect, a lost settlement, a violated invariant,
a fault not survived, a failing test.

    python -m tests.reliability.report [pytest args...]
"""

from __future__ import annotations

import json
import sys

import pytest

from .invariants import FOUND
from .plugin import REFERENCED, RESULTS

SUITE = ["tests/reliability", *sorted({node.split("::")[0] for node in REFERENCED})]


def main(argv: list[str]) -> int:
    selection = [*SUITE, "-k", " or ".join(["reliability", *sorted({n.split("::")[1] for n in REFERENCED})])]
    code = pytest.main([*selection, "-q", "-p", "no:logging", *argv])
    if not RESULTS.exists():
        print("no report was written", file=sys.stderr)
        return 1
    t = json.loads(RESULTS.read_text())
    found = t["invariants"]["found"]
    found = {
        "double effects": t["double_effects"],
        "lost effects": t["lost_effects"],
        **{kind.replace("_", " "): found.get(kind, 0) for kind in FOUND},
        "faults not survived": t["fault_cases"] - t["fault_cases_survived"],
    }
    bad = {k: v for k, v in found.items() if v}
    print("reliability:", "clean" if not bad and code in (0, 5) else f"FOUND {bad or 'failing tests'}")
    return 0 if not bad and code == 0 else 1


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
