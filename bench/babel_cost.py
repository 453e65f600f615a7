"""What Babel adds to the accept page's cold start: importing it and the first amount and date in one locale.

    python -m bench.babel_cost [--samples 10]

A sample is a fresh ``python -I -S -B`` whose path is our layer as its Makefile builds it (bench/lambda_path.py:
the CLDR data of the languages we serve only, hash-checked ``.pyc`` files) and the runtime's folder. It reads
the words of the page first (``i18n.text``: the standard library's gettext, no Babel), then times, inside the
process, the first ``formatting.money`` and ``formatting.date`` in German: Babel's import and the CLDR data of
that one locale, read on first use. A second amount in the same process is timed too: the cost is paid once per
container. The median of ``samples`` processes; the target is an absolute budget of the accept page's cold start.
"""

from __future__ import annotations

import argparse
import json
import statistics
import subprocess
import sys
from dataclasses import dataclass
from pathlib import Path

from . import lambda_path

TARGET_MS = 25.0  # Babel's part of the accept page's cold start (import + one locale's first format)
LOCALE = "de"
_CHILD = """
import sys, time, json, datetime
sys.path[:0] = {path!r}
from paid_invites import i18n
from paid_invites.money import Money
i18n.text({lang!r}, "page_accept", org="Acme B.V.")  # the page's words: no Babel
babel_before = "babel" in sys.modules
start = time.perf_counter()
from paid_invites import formatting
formatting.money(Money(14990, "EUR"), {lang!r})
formatting.date(datetime.date(2026, 12, 7), {lang!r})
first = time.perf_counter()
formatting.money(Money(7453, "EUR"), {lang!r})
again = time.perf_counter()
print(json.dumps({{"first_ms": (first - start) * 1000, "again_ms": (again - first) * 1000,
                   "babel_before": babel_before}}))
"""


@dataclass
class BabelCost:
    samples: int
    first_ms: float  # median: import Babel, read one locale's CLDR data, format an amount and a date
    again_ms: float  # median: the next amount in the same process

    @property
    def ok(self) -> bool:
        return self.first_ms <= TARGET_MS


def run(samples: int = 10, layer: Path | None = None) -> BabelCost:
    """``layer``: the built layer's folder (the cold starts' of this run; built now when not given)."""
    layer = layer or lambda_path.build()
    path = [str(layer), str(lambda_path.runtime())]
    script = _CHILD.format(path=path, lang=LOCALE)
    firsts, agains = [], []
    for _ in range(samples + 1):  # the first, untimed: the files into the page cache
        done = subprocess.run(  # noqa: S603 - our own interpreter and script
            [sys.executable, "-I", "-S", "-B", "-c", script], capture_output=True, text=True, check=True, timeout=60
        )
        reading = json.loads(done.stdout)
        assert not reading["babel_before"], "the page's words must not import Babel"
        firsts.append(reading["first_ms"])
        agains.append(reading["again_ms"])
    return BabelCost(samples, statistics.median(firsts[1:]), statistics.median(agains[1:]))


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=10)
    args = parser.parse_args(argv)
    cost = run(args.samples)
    verdict = "PASS" if cost.ok else "MISS"
    print(f"Babel, first amount and date in {LOCALE}: {cost.first_ms:.1f} ms (target <= {TARGET_MS:.0f} ms) "
          f"{verdict}; the next amount: {cost.again_ms:.2f} ms")  # fmt: skip
    return 0


if __name__ == "__main__":
    sys.exit(main())
