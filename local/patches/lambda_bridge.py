"""moto's Lambda runs our real handlers, in this process.

moto runs a Lambda function's code in a Docker container; with ``lambda.use_docker`` off (no Docker here)
its ``LambdaSimpleBackend.invoke`` answers a canned payload instead, so the Step Functions interpreter's
Lambda tasks would never run our code. Here an invocation of a function of ``template.yaml`` is handed to
``local.bridge.answer``, which calls the handler the template names and reports an exception as the Python
runtime does (a function error whose ``errorType`` is the exception's class name, which the ASL's Retry and
Catch match). Any other function keeps moto's answer.

Replaces ``moto.awslambda_simple.models.LambdaSimpleBackend.invoke``. Tested in ``tests/local/test_bridge.py``
and by every integration test that runs a workflow.
"""

from __future__ import annotations

from typing import Any

LIBRARY = "moto"
VERSIONS = ">=5.2.5,<5.3"


def apply() -> None:
    from moto.awslambda_simple.models import LambdaSimpleBackend

    from .. import bridge

    original = LambdaSimpleBackend.invoke

    def invoke(
        self: LambdaSimpleBackend,
        function_name: str,
        qualifier: str | None,
        body: Any,
        headers: Any,
        response_headers: Any,
    ) -> str | bytes | None:
        answer = bridge.answer(function_name, body, response_headers)
        if answer is None:  # not one of ours
            return original(self, function_name, qualifier, body, headers, response_headers)
        return answer

    LambdaSimpleBackend.invoke = invoke  # type: ignore[method-assign]
