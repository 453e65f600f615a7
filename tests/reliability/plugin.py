"""The reliability report: counters from what actually ran, a table at the end of the session.

Loaded for every pytest run (tests/conftest.py names it in ``pytest_plugins``). Tests marked
``@pytest.mark.reliability(kind=...)`` are counted by kind; they record what they measured through
the ``reliability`` fixture *before* they assert, so a failing run still reports what it found:

    reliability.race("20 POSTs of one link", threads=20, effects=found)   # effects: how many times it happened
    reliability.fault("SES throttled x3", injected=3, survived=ok)
    reliability.fuzz(requests=1, failures=0)
    reliability.hostile(cases=13)
    reliability.request("form with 2,000 fields", status=400)            # one hostile request and its answer
    reliability.invariants(report)                                       # from invariants.check()

Hypothesis examples are counted for the tests of kind ``property`` by wrapping their inner test.
Existing tests elsewhere that belong to the suite are marked here (``REFERENCED``), not copied.
At the end the table is printed and written to ``test-artifacts/reliability.json``.
"""

from __future__ import annotations

import json
import threading
from collections import Counter
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

import pytest

from .invariants import Report

KINDS = ("race", "fault", "fuzz", "property", "hostile", "tenant")
RESULTS = Path(__file__).resolve().parents[2] / "test-artifacts" / "reliability.json"

# Tests of the other suites that are part of this one: node id (without parameters) -> kind.
REFERENCED = {
    "tests/unit/test_proration.py::test_never_negative_and_never_more_than_was_paid": "property",
    "tests/unit/test_proration.py::test_never_rises_as_time_passes": "property",
    "tests/unit/test_proration.py::test_refund_plus_what_was_consumed_is_what_was_paid": "property",
    "tests/integration/test_reminders.py::test_two_runs_at_once_send_one_reminder": "race",
    "tests/integration/test_accept_refusals.py::"
    "test_a_link_that_is_no_invitation_shows_the_unknown_link_page_and_changes_nothing": "hostile",
    "tests/integration/test_accept_refusals.py::test_the_right_invitation_with_the_wrong_secret_is_an_unknown_link": (
        "hostile"
    ),
    "tests/integration/test_accept_refusals.py::test_opening_a_valid_link_changes_nothing": "hostile",
    "tests/integration/test_authorization_matrix.py::test_route_by_caller": "tenant",
}


@dataclass
class Tally:
    tests: Counter[str] = field(default_factory=Counter)  # "<kind>:<outcome>" -> n
    races: int = 0
    race_threads: int = 0
    double_effects: int = 0
    lost_effects: int = 0  # a race whose one expected effect did not happen at all
    faults_injected: int = 0
    fault_cases: int = 0
    fault_cases_survived: int = 0
    fuzz_requests: int = 0
    fuzz_failures: int = 0
    fuzz_operations: set[str] = field(default_factory=set)
    property_examples: int = 0
    hostile_cases: int = 0
    hostile_requests: int = 0
    hostile_classes: set[str] = field(default_factory=set)
    hostile_5xx: int = 0
    invariant_checks: int = 0
    invariants: Report = field(default_factory=Report)  # what the invariant checks counted and found, summed
    skipped: list[str] = field(default_factory=list)

    def as_dict(self) -> dict[str, Any]:
        data = asdict(self)
        data["tests"] = dict(self.tests)
        data["fuzz_operations"] = sorted(self.fuzz_operations)
        data["hostile_classes"] = sorted(self.hostile_classes)
        checks = self.invariants
        data["invariants"] = {"checked": dict(checks.checked), "found": dict(checks.found)}
        data["invariants"]["violations"] = checks.violations
        return data


class Recorder:
    """What the tests report; one per session, safe to call from the threads of a race."""

    def __init__(self, tally: Tally) -> None:
        self.tally = tally
        self.lock = threading.Lock()

    def race(self, name: str, *, threads: int, effects: int, expected: int = 1) -> None:
        """``effects``: how often the one thing that must happen once happened (a settlement, an e-mail)."""
        with self.lock:
            self.tally.races += 1
            self.tally.race_threads += threads
            self.tally.double_effects += max(0, effects - expected)
            self.tally.lost_effects += max(0, expected - effects)

    def fault(self, name: str, *, injected: int, survived: bool) -> None:
        with self.lock:
            self.tally.fault_cases += 1
            self.tally.faults_injected += injected
            self.tally.fault_cases_survived += int(survived)

    def fuzz(self, *, operation: str, failures: int = 0) -> None:
        with self.lock:
            self.tally.fuzz_requests += 1
            self.tally.fuzz_failures += failures
            self.tally.fuzz_operations.add(operation)

    def hostile(self, cases: int) -> None:
        with self.lock:
            self.tally.hostile_cases += cases

    def request(self, klass: str, status: int) -> None:
        """One hostile request of class ``klass`` and the status it was answered with."""
        with self.lock:
            self.tally.hostile_requests += 1
            self.tally.hostile_classes.add(klass)
            self.tally.hostile_5xx += int(status >= 500)

    def invariants(self, report: Report) -> None:
        """One check of every invariant (``invariants.check``): added to the totals."""
        with self.lock:
            self.tally.invariant_checks += 1
            self.tally.invariants.add(report)


TALLY = Tally()
RECORDER = Recorder(TALLY)


def pytest_configure(config: pytest.Config) -> None:
    config.addinivalue_line(
        "markers", "reliability(kind): part of the reliability suite (race, fault, fuzz, property, hostile, tenant)"
    )


def _kind(item: pytest.Item) -> str | None:
    marker = item.get_closest_marker("reliability")
    if marker is not None:
        return str(marker.kwargs.get("kind", marker.args[0] if marker.args else "other"))
    return REFERENCED.get(item.nodeid.split("[", 1)[0])


def pytest_collection_modifyitems(items: list[pytest.Item]) -> None:
    for item in items:
        kind = _kind(item)
        if kind is None:
            continue
        if item.get_closest_marker("reliability") is None:
            item.add_marker(pytest.mark.reliability(kind=kind))
        item.user_properties.append(("reliability_kind", kind))
        if kind == "property":
            _count_examples(item)


def _count_examples(item: pytest.Item) -> None:
    """Count every example Hypothesis runs (generation and shrinking alike) of a property test."""
    handle = getattr(getattr(item, "obj", None), "hypothesis", None)
    if handle is None or getattr(handle, "_reliability_counted", False):
        return
    inner = handle.inner_test

    def counted(*args: Any, **kwargs: Any) -> Any:
        with RECORDER.lock:
            TALLY.property_examples += 1
        return inner(*args, **kwargs)

    handle.inner_test = counted
    handle._reliability_counted = True


def pytest_runtest_logreport(report: pytest.TestReport) -> None:
    if report.when != "call" and report.outcome == "passed":
        return  # a setup or teardown that went well says nothing; one that failed or skipped does
    kind = next((str(v) for k, v in report.user_properties if k == "reliability_kind"), None)
    if kind is None:
        return
    with RECORDER.lock:
        TALLY.tests[f"{kind}:{report.outcome}"] += 1
        if report.outcome == "skipped":
            reason = report.longrepr[2] if isinstance(report.longrepr, tuple) else str(report.longrepr)
            TALLY.skipped.append(f"{report.nodeid}: {reason}")


@pytest.fixture
def reliability() -> Recorder:
    """Where a reliability test reports what it measured (see the module's docstring)."""
    return RECORDER


def table(t: Tally) -> str:
    def tests(kind: str) -> str:
        passed, failed = t.tests.get(f"{kind}:passed", 0), t.tests.get(f"{kind}:failed", 0)
        skipped = t.tests.get(f"{kind}:skipped", 0)
        return f"{passed} passed, {failed} failed" + (f", {skipped} skipped" if skipped else "")

    checked, found = t.invariants.checked, t.invariants.found
    rows = [
        (
            "races",
            tests("race"),
            f"{t.races} races, {t.race_threads} concurrent requests/runs",
            "double effects",
            t.double_effects,
        ),
        ("", "", "", "lost effects (nobody won)", t.lost_effects),
        (
            "faults",
            tests("fault"),
            f"{t.fault_cases} cases, {t.faults_injected} faults injected",
            "cases not survived",
            t.fault_cases - t.fault_cases_survived,
        ),
        (
            "fuzz (schemathesis)",
            tests("fuzz"),
            f"{t.fuzz_requests} requests over {len(t.fuzz_operations)} method x path pairs",
            "failures (5xx, off-schema)",
            t.fuzz_failures,
        ),
        (
            "properties (hypothesis)",
            tests("property"),
            f"{t.property_examples} examples",
            "failures",
            t.tests.get("property:failed", 0),
        ),
        (
            "hostile input",
            tests("hostile"),
            f"{t.hostile_cases} hostile inputs sent",
            "failures",
            t.tests.get("hostile:failed", 0),
        ),
        (
            "",
            "",
            f"{t.hostile_requests} hostile requests in {len(t.hostile_classes)} classes",
            "5xx answers",
            t.hostile_5xx,
        ),
        (
            "tenants",
            tests("tenant"),
            "admin and accept routes x caller, two organizations",
            "leaks",
            t.tests.get("tenant:failed", 0),
        ),
        (
            "invariants",
            f"{t.invariant_checks} checks",
            f"{checked['accepted']} accepted invitations",
            "lost settlements",
            found["lost_settlements"],
        ),
        ("", "", "every accepted invitation settled once", "double settlements", found["double_settlements"]),
        ("", "", f"{checked['users']} users", "not in exactly one account", found["users_misplaced"]),
        ("", "", f"{checked['accounts']} accounts", "licenses used > total", found["accounts_oversold"]),
        ("", "", "guards, holds, counters, ledger", "other violations", found["other"]),
    ]
    header = ("area", "tests", "ran", "found", "n")
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(5)]

    def line(cells: tuple[Any, ...]) -> str:
        return "| " + " | ".join(str(c).ljust(w) for c, w in zip(cells, widths, strict=True)) + " |"

    out = [line(header), "|" + "|".join("-" * (w + 2) for w in widths) + "|"]
    out += [line(r) for r in rows]
    return "\n".join(out)


def _ran_anything(t: Tally) -> bool:
    return bool(sum(t.tests.values()))


def pytest_terminal_summary(terminalreporter: Any) -> None:
    if not _ran_anything(TALLY):
        return
    terminalreporter.section("reliability report")
    terminalreporter.write_line(table(TALLY))
    for skipped in TALLY.skipped:
        terminalreporter.write_line(f"skipped: {skipped}")
    for violation in TALLY.invariants.violations:
        terminalreporter.write_line(f"violation: {violation}")


def pytest_sessionfinish(session: pytest.Session) -> None:
    if not _ran_anything(TALLY):
        return
    RESULTS.parent.mkdir(exist_ok=True)
    RESULTS.write_text(json.dumps(TALLY.as_dict(), indent=1, sort_keys=True))
