"""``make bench``: cold starts, AWS requests per operation, state transitions, cost and throughput, measured on
this machine for the current commit, one table.

    python -m bench.run [--samples 10] [--skip-throughput] [--skip-import-scale] [--json build/bench/results.json]

Measurements, not timed tests: it always exits 0 (``--strict``: 1 when a target is missed). The handlers'
own output (logs, metrics) goes to build/bench/bench.log; progress to stderr; the table to stdout.
"""

from __future__ import annotations

import argparse
import contextlib
import json
import os
import platform
import statistics
import subprocess
import sys
import time
from dataclasses import dataclass, field
from datetime import UTC, datetime
from pathlib import Path
from typing import Any

from local.template import ROOT

OUT = ROOT / "build" / "bench"


@dataclass
class Check:
    measure: str
    what: str
    measured: str
    floor: str
    target: str
    ok: bool | None  # None: no target, a measurement to read

    @property
    def result(self) -> str:
        return {True: "PASS", False: "MISS", None: "info"}[self.ok]


@dataclass
class Report:
    checks: list[Check] = field(default_factory=list)
    details: list[str] = field(default_factory=list)

    def add(self, *args: Any) -> None:
        self.checks.append(Check(*args))


def _progress(message: str) -> None:
    print(f"[bench {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)


def _commit() -> str:
    def git(*args: str) -> str:
        return subprocess.run(["git", *args], cwd=ROOT, capture_output=True, text=True, check=False).stdout.strip()  # noqa: S603, S607

    sha = git("rev-parse", "--short", "HEAD") or "unknown"
    return sha + (" (+ uncommitted changes)" if git("status", "--porcelain", "--untracked-files=no") else "")


def _table(rows: list[list[str]], header: list[str]) -> str:
    widths = [max(len(str(r[i])) for r in [header, *rows]) for i in range(len(header))]
    line = "  ".join("-" * w for w in widths)
    out = ["  ".join(str(h).ljust(w) for h, w in zip(header, widths, strict=True)), line]
    out += ["  ".join(str(c).ljust(w) for c, w in zip(r, widths, strict=True)) for r in rows]
    return "\n".join(row.rstrip() for row in out)


def _ms(seconds: float) -> str:
    return f"{seconds * 1000:.0f} ms"


# ---------------------------------------------------------------- the measurements


def report_cold_starts(
    report: Report, bench: Any, samples: int, extra_env: dict[str, str], profile: bool = False
) -> Any:
    from . import coldstart

    starts = coldstart.run(bench, samples, _progress, extra_env, profile)
    rows = []
    for r in starts.results:
        ours, floor = statistics.median(r.ours), statistics.median(r.floor)
        measured = f"{_ms(ours)} = {r.ratio:.2f} x floor"
        if coldstart.SAM_BUILDER in r.function:  # the comparison: what the layer's Makefile saves
            report.add("cold start (comparison)", f"{r.function} ({r.what})", measured, _ms(floor), "-", None)
        else:
            deps = statistics.median(r.deps)
            paused = f" ({r.paused_ratio:.2f} x it paused)" if r.deps_paused else ""  # its collector as ours starts
            report.add("cold start", f"{r.function} ({r.what})", f"{_ms(ours)} = {r.deps_ratio:.2f} x dependency floor"
                       + paused,
                       f"{_ms(deps)} (its {len({m.split('.')[0] for m in r.modules})} packages, {r.requests} requests)",
                       f"<= {coldstart.RATIO_TARGET} x dependency floor",
                       r.deps_ratio <= coldstart.RATIO_TARGET)  # fmt: skip
            if r.function == "AcceptFunction":  # the accept page: the one cold start a person waits for
                report.add("cold start", f"{r.function} ({r.what})", f"{_ms(ours)} = {r.ratio:.2f} x bare floor",
                           _ms(floor), f"<= {coldstart.ACCEPT_PAGE_TARGET} x bare floor",
                           r.ratio <= coldstart.ACCEPT_PAGE_TARGET)  # fmt: skip
            else:
                report.add("cold start (bare floor)", f"{r.function} ({r.what})", measured, _ms(floor), "-", None)
            report.add("peak memory", r.function, f"{r.peak_mb:.0f} MB", f"{max(r.floor_rss_kb) / 1024:.0f} MB",
                       f"<= {coldstart.RSS_TARGET_MB} MB", r.peak_mb <= coldstart.RSS_TARGET_MB)  # fmt: skip
        rows.append(
            [
                r.function,
                r.what,
                ",".join(r.services),
                _ms(ours),
                _ms(statistics.median(r.imports)),
                _ms(statistics.median(r.invoke)),
                _ms(floor),
                f"{r.ratio:.2f}",
                _ms(statistics.median(r.deps)) if r.deps else "",
                _ms(statistics.median(r.deps_imports)) if r.deps else "",
                _ms(statistics.median(r.deps) - statistics.median(r.deps_imports)) if r.deps else "",
                f"{r.deps_ratio:.2f}" if r.deps else "",
                f"{r.paused_ratio:.2f}" if r.deps_paused else "",
                f"{r.cpu_ratio:.2f}",
                f"{r.peak_mb:.0f} MB",
                f"{r.memory_mb} MB",
            ]
        )
    if starts.naive is not None:
        n = starts.naive
        n_ours, n_floor = _ms(statistics.median(n.ours)), _ms(statistics.median(n.floor))
        rows.append(["reference", n.what, "dynamodb", n_ours, "", "", n_floor, f"{n.ratio:.2f}", "", "", "", "", "",
                     f"{n.cpu_ratio:.2f}", f"{n.peak_mb:.0f} MB", ""])  # fmt: skip
        report.add("cold start (reference)", n.what + " + the same client", f"{_ms(statistics.median(n.ours))} = "
                   f"{n.ratio:.2f} x floor", _ms(statistics.median(n.floor)), "-", None)  # fmt: skip
    header = ["function", "invocation", "clients", "cold start", "of which ready", "invoke", "bare floor", "ratio",
              "dependency floor", "its imports", "its clients+requests", "ratio", "ratio, floor paused", "CPU ratio",
              "peak RSS", "configured"]  # fmt: skip
    report.details.append(
        f"Cold starts: median of {starts.samples} fresh processes each (after one untimed warm-up pair),\n"
        "from spawning `python -I -S` to the handler's return (nothing subtracted). The dependency floor (the target)\n"
        "is the same process importing exactly the third-party modules the function imported on that path (found\n"
        "by a first, untimed run), creating the same clients from one botocore session and making the same requests;\n"
        "what the function takes beyond it is our own code's. The functions start without garbage collection\n"
        "(paid_invites/startup.py), which also spares the libraries' own collections; 'x it paused' and 'ratio, floor\n"
        "paused' compare with the dependency floor started the same way (information). The bare floor (information;\n"
        "the accept page's second target) imports boto3 and creates the clients the function called. Path as on\n"
        "Lambda: the function's folder and our layer as their Makefiles build them, dated 1980 as in SAM's zip,\n"
        "and the Powertools layer and the runtime\n"
        "(the floor: the function's folder and the runtime); no .pyc written (-B: read-only, as on Lambda);\n"
        "bench/lambda_path.py. Each set of samples starts at its own depth in the stack, the sets spread over\n"
        "one frame-stack chunk (bench/coldstart_child.py). CPU ratio: the processes' CPU time (the moto\n"
        "server's answers to the function's requests are not in it; in the wall time they are). Environment: "
        + starts.environment
        + ".\n"
        + _table(rows, header)
        + ("\nNot measured: " + ", ".join(f"{k} ({v})" for k, v in starts.skipped.items()) if starts.skipped else "")
    )
    return starts


def report_babel(report: Report, samples: int, built: bool) -> None:
    """Babel's part of the accept page's cold start (``built``: the cold starts built the layer in this run)."""
    from . import babel_cost, lambda_path

    cost = babel_cost.run(samples, lambda_path.FOLDER if built else None)
    report.add("cold start (Babel)", f"AcceptFunction: import Babel, first amount and date in {babel_cost.LOCALE}",
               f"{cost.first_ms:.1f} ms (then {cost.again_ms:.2f} ms an amount)", "-",
               f"<= {babel_cost.TARGET_MS:.0f} ms", cost.ok)  # fmt: skip


def report_requests_and_transitions(report: Report, story: Any) -> None:
    from . import calls

    targets: dict[str, tuple[str, Any]] = {
        "invite_1": ("<= 3 DynamoDB + 1 StartExecution",
                     lambda s: s.dynamodb <= 3 and s.count("stepfunctions", "StartExecution") == 1),
        "invite_100": ("<= 15 DynamoDB + 100 StartExecution",
                       lambda s: s.dynamodb <= 15 and s.count("stepfunctions", "StartExecution") == 100),
        "accept_get": ("<= 2 DynamoDB (batched reads)", lambda s: s.dynamodb <= 2),
        "accept_post": ("<= 3 DynamoDB + 1 SendTaskSuccess",
                        lambda s: s.dynamodb <= 3 and s.count("stepfunctions", "SendTaskSuccess") == 1),
        # the settlement: 2 DynamoDB, 1 PutEvents; the inviter's notice in the same step: the inviter and
        # the suppression look-up (the invitation as the settled mark wrote it), 1 SendEmail
        "settle_refund": ("<= 2 + 2 DynamoDB + <= 1 PutEvents + 1 SendEmail",
                          lambda s: s.dynamodb <= 4 and s.count("events", "PutEvents") <= 1
                          and s.count("sesv2", "SendEmail") == 1),
    }  # fmt: skip
    targets["settle_credit"] = targets["settle_none"] = targets["settle_refund"]
    rows = []
    for key, row in story.rows.items():
        s = row.summary
        per = row.per
        counted = sorted(s.by_operation.items())
        others = [f"{n / per:.3g} {k.split('.', 1)[1]}" for k, n in counted if not k.startswith("dynamodb.")]
        ddb = [f"{n / per:.3g} {k.split('.', 1)[1]}" for k, n in counted if k.startswith("dynamodb.")]
        if key in targets:
            text, check = targets[key]
            measured = f"{s.dynamodb / per:g} DynamoDB + " + (", ".join(others) or "nothing else")
            report.add("requests", row.name, measured, "", text, bool(check(s)))
        rows.append(
            [row.name, f"{s.dynamodb / per:.3g}", "; ".join(ddb), "; ".join(others) or "-",
             f"{s.items_read / per:.3g}", f"{s.rru / per:.3g}", f"{s.wru / per:.3g}"]
        )  # fmt: skip
    report.add(
        "items read",
        f"reminder run: {calls.PENDING_TOTAL:,} pending, {calls.DUE} due",
        f"{story.reminder_items_read} items read (+{story.reminder_lookups_missed} look-ups that found nothing)",
        "",
        "<= 60 items read",
        story.reminder_items_read <= 60,
    )
    report.details.append(
        "AWS requests per operation, counted by botocore event hooks on every client (per invocation\n"
        "of the functions that served it; rows 'per ...' are averages). Items read: items DynamoDB returned or\n"
        "evaluated (Query: ScannedCount). Request units from the items' sizes as moto holds them, before and\n"
        "after each write (1 RRU per 4 KB strongly consistent, 0.5 eventually, 2x in transactions; 1 WRU per\n"
        "1 KB of the larger of before and after, 2x in transactions, plus each global secondary index write).\n"
        + _table(rows, ["operation", "DynamoDB", "DynamoDB requests", "other requests", "items read", "RRU", "WRU"])
    )
    trows = []
    for key, t in story.transitions.items():
        if key == "settled":
            report.add("transitions", t.name, f"{t.billed}", "", "<= 5", t.billed <= 5)
        else:
            report.add("transitions", t.name, f"{t.billed}", "", "-", None)
        trows.append([t.name, str(t.billed), " -> ".join(t.states), str(t.retries)])
    report.details.append(
        "State transitions per invitation, from the execution history: billed transitions = states\n"
        "entered + retries of a task (Step Functions Standard bills each state a workflow enters, retries included;\n"
        "the start of an execution is not a state).\n" + _table(trows, ["invitation", "billed", "states", "retries"])
    )


def report_cost(report: Report, story: Any, template: Any) -> None:
    from . import cost

    costs = cost.run(story, template)
    rows = []
    for single, bulk in zip(costs.single, costs.bulk, strict=True):
        price = cost.PRICES[single.key][1]
        rows.append(
            [single.unit, f"{single.per_invitation:.4g}", f"${single.per_thousand_usd:.4f}",
             f"{bulk.per_invitation:.4g}", f"${bulk.per_thousand_usd:.4f}", f"${price * 1e6:g} per million"]
        )  # fmt: skip
    rows.append(["total", "", f"${costs.total(costs.single):.3f}", "", f"${costs.total(costs.bulk):.3f}", ""])
    single_usd = costs.total(costs.single)
    report.add(
        "cost",
        "per 1,000 invitations, accepted with a refund",
        f"${single_usd:.3f} = {single_usd / costs.floor_usd:.2f} x floor (1 per request), "
        f"${costs.total(costs.bulk):.3f} (100 per request)",
        f"${costs.floor_usd:.3f} (SES alone)",
        f"<= ${cost.TARGET_USD:.3f} (1 per request)",
        costs.met,
    )
    wru_usd = 1000 * cost.PRICES["wru"][1]
    total_table = sum(t for _, t, _ in costs.write_units)
    total_index = sum(i for _, _, i in costs.write_units)
    units = [[name, f"{table:.3g}", f"{index:.3g}", f"{table + index:.3g}", f"${(table + index) * wru_usd:.4f}"]
             for name, table, index in [*costs.write_units, ("total", total_table, total_index)]]  # fmt: skip
    lifecycle = story.rows["lifecycle"]
    report.details.append(
        f"Cost per 1,000 invitations, each accepted with a refund (invite, invitation e-mail, accept page,\n"
        f"accept, settle, the inviter's notice, the stream's records to LifecycleEventsFunction), from the requests\n"
        f"and transitions above; prices {cost.PRICES_SOURCE}, as of {cost.PRICES_AS_OF}, before free tiers.\n"
        "Lambda: measured warm durations, per started ms, at the configured memory (cold starts add their init\n"
        f"time). Stream records: {sum(i.records for i in lifecycle.invocations)} per invitation, each its own "
        "invocation (1 per request) or batched as measured (100 per request).\n"
        f"The floor: SES's price for the e-mails alone, ${costs.floor_usd:.3f}; "
        f"the target {cost.TARGET_USD / costs.floor_usd:.1f} times it.\n"
        + _table(rows, ["what", "per invitation (1/request)", "per 1,000", "per invitation (100/request)",
                        "per 1,000", "price"])
        + "\n\nDynamoDB write units per invitation, by operation (invited one per request): the table's (2x in a\n"
        "transaction) and its global secondary indexes' (entries at the size their projection copies).\n"
        + _table(units, ["operation", "table WRU", "index WRU", "WRU", "per 1,000"])
    )  # fmt: skip


def report_contention(report: Report, bench: Any) -> None:
    from . import contention

    c = contention.run(bench)
    p50, p95 = c.p50_p95_ms()
    report.add(
        "contention",
        f"{c.threads} callers inviting into one organization at once, {c.requests} requests of 1",
        f"{c.created} created, {c.conflicts} conflicts, {c.retries} retries, counter "
        + ("exact" if c.counter_exact else f"off by {c.pending_moved - c.created}"),
        "",
        "counter exact, no failed request",
        c.counter_exact and c.failed == 0,
    )
    report.details.append(
        f"Concurrent invites into one organization (bench/contention.py): {c.threads} callers at once, "
        f"{c.requests} requests of one invitee\nthrough the invite handler against the bench's moto server: "
        f"{c.created} created, {c.refused} rejected, {c.failed} failed requests in {c.seconds:.1f} s "
        f"({c.rate:.1f}/s; p50 {p50:.0f} ms, p95 {p95:.0f} ms).\nTransactWriteItems: {c.transactions} "
        f"({c.conflicts} refused for TransactionConflict, {c.conditions} for a condition, {c.retries} retries); "
        f"the account's pending counter moved by {c.pending_moved}.\nmoto applies one transaction at a time and "
        "never answers TransactionConflict; DynamoDB's per-item figures are in docs/capacity.md."
    )


def report_throughput(report: Report, story: Any) -> None:
    from . import throughput

    rate = throughput.run(story.replay_invite, story.replay_mails, story.replay_emails, _progress)
    report.add(
        "throughput",
        f"{rate.invitations:,} invitations created and e-mailed, 10 requests of 100",
        f"{rate.ours_rate:.1f}/s = {rate.ratio:.2f} x floor",
        f"{rate.floor_rate:.1f}/s",
        f">= {throughput.TARGET} x floor",
        rate.ratio >= throughput.TARGET,
    )
    report.details.append(
        "Throughput through the local stack (`python -m local.server`, its HTTP front and moto), end to\n"
        f"end: {rate.invitations:,} invitations in {rate.ours_seconds:.1f} s ({rate.ours_rate:.1f}/s), "
        "each request of 100 until moto sent its 100 e-mails.\n"
        f"Floor: the same {rate.floor_requests:,} AWS requests replayed directly against the same moto "
        "(and the same Step Functions work,\na waitForTaskToken state invoking a function moto runs itself): "
        f"{rate.floor_seconds:.1f} s ({rate.floor_rate:.1f}/s). Rounds alternate, both on one CPU\n"
        "(the server runs handlers and moto under one GIL; the floor's client would otherwise have a core to itself).\n"
        f"Server process afterwards: {rate.threads} threads (waiting executions hold none: sfn_parked_waits), "
        f"{rate.rss_mb:.0f} MB resident, {rate.peak_rss_mb:.0f} MB at its peak."
    )


def report_import_scale(report: Report) -> None:
    from . import import_scale

    scale = import_scale.run(import_scale.ROWS, _progress)
    what = f"{scale.rows:,}-row CSV import, local stack"
    complete = scale.emails == scale.pending == scale.rows
    report.add(
        "import at scale",
        what + " (until every e-mail sent, all pending)",
        f"{scale.seconds:.0f} s",
        "-",
        f"<= {import_scale.TARGET_SECONDS} s",
        scale.seconds <= import_scale.TARGET_SECONDS and complete,
    )
    report.add(
        "import at scale",
        what + ": server threads, peak",
        str(scale.peak_threads),
        "-",
        f"<= {import_scale.TARGET_THREADS}",
        scale.peak_threads <= import_scale.TARGET_THREADS,
    )
    report.add("import at scale", what + ": server memory, peak RSS", f"{scale.peak_rss_mb:.0f} MB", "-",
               f"<= {import_scale.TARGET_RSS_MB} MB", scale.peak_rss_mb <= import_scale.TARGET_RSS_MB)  # fmt: skip
    report.details.append("Import at scale (bench/import_scale.py): " + import_scale.describe(scale))


# ---------------------------------------------------------------- main


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--samples", type=int, default=10, help="cold start processes per function (and floor)")
    parser.add_argument("--skip-throughput", action="store_true")
    parser.add_argument("--skip-coldstart", action="store_true")
    parser.add_argument(
        "--skip-import-scale", action="store_true", help="leave out the 9,999-row import (about 15 minutes)"
    )
    parser.add_argument("--json", type=Path, default=OUT / "results.json")
    parser.add_argument("--strict", action="store_true", help="exit 1 when a target is missed")
    parser.add_argument(
        "--env",
        action="append",
        default=[],
        metavar="NAME=VALUE",
        help="cold starts only: add to every function's environment, e.g. POWERTOOLS_TRACE_DISABLED=true (what if)",
    )
    parser.add_argument(
        "--profile",
        action="store_true",
        help="cold starts: one more process per function under cProfile (build/bench/profiles/<function>.prof)",
    )
    args = parser.parse_args(argv)
    os.environ["TZ"] = "UTC"
    time.tzset()
    OUT.mkdir(parents=True, exist_ok=True)
    started = time.monotonic()
    report = Report()
    with open(OUT / "bench.log", "w") as log, contextlib.redirect_stdout(log):
        from . import stack

        _progress("starting the bench stack (moto server, template.yaml, bench data)")
        bench = stack.start()
        from . import calls

        _progress("requests per operation, state transitions")
        story = calls.run(bench)
        if not args.skip_coldstart:
            _progress(f"cold starts, {args.samples} processes per function and floor")
            report_cold_starts(report, bench, args.samples, dict(e.split("=", 1) for e in args.env), args.profile)
        _progress("Babel's part of the accept page's cold start")
        report_babel(report, args.samples, built=not args.skip_coldstart)
        _progress("requests of a reminder run over 10,000 pending invitations")
        calls.reminders(bench, story)
        report_requests_and_transitions(report, story)
        _progress("concurrent invites into one organization")
        report_contention(report, bench)
        report_cost(report, story, bench.stack.template)
        if not args.skip_throughput:
            _progress("throughput through the local stack")
            report_throughput(report, story)
        if not args.skip_import_scale:
            _progress("a 9,999-row import through the local stack")
            report_import_scale(report)
    head = (
        f"paid-account-invites benchmark: commit {_commit()}{' with ' + ' '.join(args.env) if args.env else ''}, "
        f"{datetime.now(UTC):%Y-%m-%d %H:%M} UTC, "
        f"{platform.node()} ({os.cpu_count()} CPUs, load {os.getloadavg()[0]:.1f}), "
        f"Python {platform.python_version()}, {time.monotonic() - started:.0f} s"
    )
    checks = report.checks  # in the order measured: cold starts, requests, transitions, cost, throughput
    table = _table(
        [[c.measure, c.what, c.measured, c.floor or "-", c.target, c.result] for c in checks],
        ["measure", "what", "measured", "floor", "target", "result"],
    )
    met = sum(1 for c in checks if c.ok)
    targets = sum(1 for c in checks if c.ok is not None)
    print(head)
    print()
    print(table)
    print(f"\n{met} of {targets} targets met.\n")
    print("\n\n".join(report.details))
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps([c.__dict__ for c in checks], indent=1))
    return 1 if args.strict and met < targets else 0


if __name__ == "__main__":
    sys.exit(main())
