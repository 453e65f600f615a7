"""One cold start, in a fresh interpreter (run by path, never imported): bench/coldstart.py starts it.

    python -I -S bench/coldstart_child.py ours     <case.json>   import the handler as Lambda does, invoke once
    python -I -S bench/coldstart_child.py floor    <case.json>   import boto3, create the same clients
    python -I -S bench/coldstart_child.py discover <case.json>   as "ours", and say which services it called,
                                                                 which requests it made and which third-party
                                                                 modules it imported
    python -I -S bench/coldstart_child.py deps     <case.json>   the dependency floor: import exactly those
                                                                 modules, create the same clients (from one
                                                                 botocore session) and make the same requests
    python -I -S bench/coldstart_child.py deps-paused <case.json>
                                                                 as "deps", with the garbage collector's first
                                                                 threshold raised as the functions start
    python -I -S bench/coldstart_child.py naive    <case.json>   as "floor", and import Powertools (with its
                                                                 Logger, Metrics, Tracer), pynamodb and Jinja2

``case["trust"]`` (the accept function's cases): the issuer and JWKS of moto's user pool, trusted before the
invocation when ``LOCAL_TRUST_MOTO_ISSUER=1`` is in the environment, as ``local/cognito.py`` trusts them in the
local stack's process (on AWS the first token check fetches the pool's JWKS over https instead).

``case["path"]`` goes first on ``sys.path``: the function's folder and the Lambda-like folder of the layers
and the runtime (bench/lambda_path.py), for both modes.

``case["stack_offset"]`` (0 to 1): how far into one of CPython's frame-stack chunks (16 KB) the mode's work
starts, by that many nested calls first. CPython 3.11 and 3.12 free a chunk as soon as the frame that needed it
returns (python/cpython#142183, fixed in 3.13 in March 2026), so a loop whose calls cross a chunk's end maps and
unmaps memory on every call: an import may take 40 ms instead of 6 at one depth and not at the next. The depth
at which Lambda's runtime imports a handler is its own; the bench spreads its samples over a chunk's span, the
same for every mode, so that no mode's median is one depth's accident.

The last line of stdout is ``BENCH-RESULT {...}`` with ``time.perf_counter()`` readings (CLOCK_MONOTONIC,
the same clock as the parent's) at this script's first line, when the handler was ready, and when the
invocation returned, and the process's peak resident memory (VmHWM).
"""

import time

FIRST_LINE = time.perf_counter()

import json  # noqa: E402 - after the first reading, on purpose
import os  # noqa: E402
import sys  # noqa: E402

if False:  # for the annotations only: importing typing would be timed
    from collections.abc import Callable


class Context:
    """What the Lambda runtime hands the handler."""

    def __init__(self, case: dict) -> None:  # type: ignore[type-arg]
        self.function_name = case["function_name"]
        self.function_version = "$LATEST"
        self.invoked_function_arn = case["function_arn"]
        self.memory_limit_in_mb = case["memory_mb"]
        self.aws_request_id = case["request_id"]
        self.log_group_name = f"/aws/lambda/{case['function_name']}"
        self.log_stream_name = "bench"
        self._deadline = time.monotonic() + case["timeout_s"]

    def get_remaining_time_in_millis(self) -> int:
        return int((self._deadline - time.monotonic()) * 1000)


def peak_rss_kb() -> int:
    """This process's peak resident set (VmHWM; getrusage's ru_maxrss would count the parent's pages from
    before the exec)."""
    with open("/proc/self/status") as f:
        for line in f:
            if line.startswith("VmHWM:"):
                return int(line.split()[1])
    return 0


CHUNK_SLOTS = 16 * 1024 // 8  # one frame-stack chunk (_PY_DATA_STACK_CHUNK_SIZE), in pointer-sized slots


def at_offset(offset: float, then: "Callable[[], None]") -> None:
    """``then()``, called ``offset`` of a frame-stack chunk deeper than here."""
    code = nested.__code__
    slots = code.co_nlocals + code.co_stacksize + 10  # a frame's size: its locals, its stack, the frame's own
    nested(round(offset * CHUNK_SLOTS / slots), then)


def nested(calls: int, then: "Callable[[], None]") -> None:
    if calls:
        nested(calls - 1, then)
    else:
        then()


def main() -> None:
    mode, case_file = sys.argv[1:3]
    with open(case_file) as f:
        case = json.load(f)
    at_offset(case.get("stack_offset", 0.0), lambda: run(mode, case))


def run(mode: str, case: dict) -> None:  # type: ignore[type-arg]
    sys.path[:0] = case["path"]  # /var/task (the function's folder), /opt/python and the runtime
    services: list[str] = []
    requests: list[list[object]] = []
    modules: list[str] = []
    outcome = ""
    if mode == "naive":  # the reference: what the libraries alone cost beside the floor
        import boto3
        import jinja2  # noqa: F401
        import pynamodb.models  # noqa: F401
        from aws_lambda_powertools import Logger, Metrics, Tracer

        Logger(), Metrics(), Tracer()
        for service in case["services"]:
            boto3.client(service)
        ready = done = time.perf_counter()
        cpu_ready = cpu_done = time.process_time()
    elif mode in ("deps", "deps-paused"):  # the function's dependency floor: its third-party imports, clients, requests
        import contextlib
        import importlib

        if mode == "deps-paused":  # as the functions start (paid_invites/startup.py): no collection until done
            import gc

            gc.set_threshold(case["start_threshold"], *gc.get_threshold()[1:])

        for name in case["modules"]:
            with contextlib.suppress(Exception):  # a module that only imports inside its package's own import
                importlib.import_module(name)
        import botocore.session

        ready, cpu_ready = time.perf_counter(), time.process_time()  # imported; then the clients and requests
        session = botocore.session.get_session()
        clients = {service: session.create_client(service) for service in case["services"]}
        for service, operation, params in case["requests"]:
            with contextlib.suppress(Exception):  # the same request again may be refused (a condition): still made
                clients[service]._make_api_call(operation, params)
        done, cpu_done = time.perf_counter(), time.process_time()
    elif mode == "floor":
        import boto3

        for service in case["services"]:
            boto3.client(service)
        ready = done = time.perf_counter()
        cpu_ready = cpu_done = time.process_time()
    else:
        if mode == "discover":
            from botocore import handlers

            def seen(model: object, **_: object) -> None:
                name = model.service_model.service_name  # type: ignore[attr-defined]
                if name not in services:
                    services.append(name)

            def made(params: dict, model: object, **_: object) -> None:  # type: ignore[type-arg]
                name = model.service_model.service_name  # type: ignore[attr-defined]
                requests.append([name, model.name, json.loads(json.dumps(params, default=str))])  # type: ignore[attr-defined]

            handlers.BUILTIN_HANDLERS.append(("before-parameter-build", seen))
            handlers.BUILTIN_HANDLERS.append(("before-parameter-build", made))
        profile_to = os.environ.get("BENCH_PROFILE")  # --profile: this process is profiled, not timed
        if profile_to:
            import cProfile

            profiler = cProfile.Profile()
            profiler.enable()
        import app  # type: ignore[import-not-found]

        trust = case.get("trust")
        if trust and os.environ.get("LOCAL_TRUST_MOTO_ISSUER") == "1":  # as local/cognito.py does in the local stack
            from paid_invites import identity

            identity.trust_keys(trust["issuer"], trust["jwks"])
        ready, cpu_ready = time.perf_counter(), time.process_time()
        result = app.lambda_handler(case["event"], Context(case))
        done, cpu_done = time.perf_counter(), time.process_time()
        if profile_to:
            profiler.disable()
            profiler.dump_stats(profile_to)
        if mode == "discover":  # the third-party modules: from the layers and the runtime, not ours
            third_party = tuple(case["path"][1:])
            for name, module in list(sys.modules.items()):
                where = getattr(module, "__file__", None) or ""
                if where.startswith(third_party) and name.split(".")[0] != "paid_invites":
                    modules.append(name)
        outcome = str(result.get("statusCode", "")) if isinstance(result, dict) else ""
        if isinstance(result, dict) and "statusCode" not in result:
            outcome = str(result.get("status") or result.get("first_time") or "ok")
            if "outcomes" in result:  # an SQS batch's handler: what it did with the messages
                outcome = ",".join(sorted(result["outcomes"]))
            if result.get("batchItemFailures"):
                outcome = "failed"
    print(
        "BENCH-RESULT "
        + json.dumps(
            {
                "first_line": FIRST_LINE,
                "ready": ready,
                "done": done,
                "cpu_ready": cpu_ready,
                "cpu_done": cpu_done,
                "max_rss_kb": peak_rss_kb(),
                "services": services,
                "requests": requests,
                "modules": modules,
                "outcome": outcome,
            }
        ),
        flush=True,
    )


main()
