"""Route moto's docker-less Lambda invocations to our real handlers, in this process.

moto's Step Functions interpreter invokes Lambda through moto's Lambda backend; with
``lambda.use_docker`` off that is ``LambdaSimpleBackend``, whose ``invoke`` hands an invocation of
one of the template's functions to ``answer`` here (``local/patches/lambda_bridge.py``), a call to
the handler that ``template.yaml`` names for the function. An exception becomes a function error
with ``errorType`` = the exception's class name, as the Python runtime reports it, so the ASL's
Retry and Catch see our domain errors by name.
"""

from __future__ import annotations

import importlib.util
import json
import os
import sys
import threading
import time
import traceback
import uuid
from collections.abc import Callable
from types import ModuleType
from typing import Any

from . import patches
from .template import Function

Handler = Callable[[dict[str, Any], Any], Any]
_handlers: dict[str, Handler] = {}
_functions: dict[str, Function] = {}
_lock = threading.Lock()
_in_flight = 0  # invocations moto's interpreter started that have not returned yet


class Context:
    """What the Lambda runtime hands a handler, as far as our handlers (and Powertools) read it."""

    def __init__(self, fn: Function) -> None:
        self.function_name = fn.logical_id
        self.function_version = "$LATEST"
        self.invoked_function_arn = fn.arn
        self.memory_limit_in_mb = 256
        self.aws_request_id = str(uuid.uuid4())
        self.log_group_name = f"/aws/lambda/{fn.logical_id}"
        self.log_stream_name = "local"
        # the invocation's deadline in epoch milliseconds, from the function's Timeout in the template
        self.deadline_ms = int(time.time() * 1000) + fn.timeout * 1000

    def get_remaining_time_in_millis(self) -> int:
        return max(0, self.deadline_ms - int(time.time() * 1000))


def load_module(fn: Function) -> ModuleType:
    """The function's handler module, imported (once) with the function's environment in force, as Lambda
    imports it: Powertools' Logger and Metrics take the service name and namespace from it when made."""
    module_name, _, _attr = fn.handler.rpartition(".")
    path = fn.code_uri / f"{module_name.replace('.', '/')}.py"
    name = f"lambda_{fn.logical_id}"
    if name in sys.modules:
        return sys.modules[name]
    spec = importlib.util.spec_from_file_location(name, path)
    assert spec and spec.loader, path
    # Lambda has the function's folder on sys.path: its other modules import by name (the Stripe bridge's)
    if str(fn.code_uri) not in sys.path:
        sys.path.append(str(fn.code_uri))
    module = importlib.util.module_from_spec(spec)
    sys.modules[name] = module
    before = {key: os.environ.get(key) for key in fn.environment}
    os.environ.update(fn.environment)
    try:
        spec.loader.exec_module(module)
    finally:
        for key, value in before.items():
            if value is None:
                os.environ.pop(key, None)
            else:
                os.environ[key] = value
    return module


def handler_for(fn: Function) -> Handler:
    with _lock:
        if fn.logical_id not in _handlers:
            _handlers[fn.logical_id] = getattr(load_module(fn), fn.handler.rpartition(".")[2])
        return _handlers[fn.logical_id]


def invoke(fn: Function, event: dict[str, Any]) -> Any:
    """Call the function's handler as Lambda would (used by the HTTP front and the scheduler too)."""
    return handler_for(fn)(event, Context(fn))


def answer(function_name: str, body: Any, response_headers: dict[str, str]) -> bytes | None:
    """What the Lambda runtime answers moto for an invocation of one of our functions (None: not ours)."""
    name = function_name.rsplit(":", 1)[-1] if function_name.startswith("arn:") else function_name
    fn = _functions.get(name)
    if fn is None:
        return None
    event = json.loads(body) if body else {}
    global _in_flight
    with _lock:
        _in_flight += 1
    try:
        result = invoke(fn, event)
    except Exception as error:  # noqa: BLE001 - the runtime reports every escaping exception alike
        response_headers["x-amz-function-error"] = "Unhandled"
        payload = {
            "errorType": type(error).__name__,
            "errorMessage": str(error),
            "stackTrace": traceback.format_tb(error.__traceback__)[-3:],
        }
        return json.dumps(payload).encode()
    finally:
        with _lock:
            _in_flight -= 1
    return json.dumps(result).encode()


def idle() -> bool:
    """No invocation by the state machines is running: stopping an execution does not stop its task's
    handler, whose last calls would otherwise land in whatever mock comes next (the next test's)."""
    with _lock:
        return _in_flight == 0


def install(functions: dict[str, Function]) -> None:
    """Route moto's invocations of these functions here (and install the local stack's patches, once)."""
    patches.install()
    _functions.update(functions)
