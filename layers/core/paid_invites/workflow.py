"""The invitation's workflow (a Step Functions Standard execution per invitation)."""

from __future__ import annotations

import json
import time
from typing import Any

from .aws import client, error_code
from .config import get_settings
from .errors import TransientError

# What Step Functions answers when the task already ended: resolved is resolved.
CLOSED = {"TaskTimedOut", "InvalidToken", "TaskDoesNotExist", "ExecutionDoesNotExist"}
TRANSIENT = {"ThrottlingException", "TooManyRequestsException", "ServiceUnavailable", "InternalServerError"}


def start(invitation_id: str) -> str:
    """Start the execution named after the invitation: a repeated start is the same execution."""
    sfn = client("stepfunctions")
    arn = get_settings().state_machine_arn
    try:
        return str(
            sfn.start_execution(
                stateMachineArn=arn, name=invitation_id, input=json.dumps({"invitation_id": invitation_id})
            )["executionArn"]
        )
    except sfn.exceptions.ExecutionAlreadyExists:
        return execution_arn(invitation_id)


def execution_arn(invitation_id: str) -> str:
    return f"{get_settings().state_machine_arn.replace(':stateMachine:', ':execution:')}:{invitation_id}"


def running(invitation_id: str) -> bool:
    """Whether the invitation's execution still runs (or is being redriven); False once it ended, whichever
    way, or never began."""
    sfn = client("stepfunctions")
    try:
        status = sfn.describe_execution(executionArn=execution_arn(invitation_id))["status"]
        return status in ("RUNNING", "PENDING_REDRIVE")
    except sfn.exceptions.ExecutionDoesNotExist:
        return False


def _call(fn: Any, **kwargs: Any) -> bool:
    """Call a task-token API with a short retry; False when the task had already ended."""
    for attempt in range(4):
        try:
            fn(**kwargs)
            return True
        except Exception as error:  # botocore's error classes are made at run time
            code = error_code(error)
            if code in CLOSED:
                return False
            if code not in TRANSIENT and not _unreachable(error):
                raise
            if attempt == 3:
                raise TransientError(f"step functions unavailable: {code}") from error
            time.sleep(0.1 * 2**attempt)
    raise AssertionError("unreachable")


def _unreachable(error: Exception) -> bool:
    """No answer at all (connection refused, reset or timed out): as worth a retry as throttling."""
    from botocore.exceptions import ConnectionError as NoConnection
    from botocore.exceptions import HTTPClientError

    return isinstance(error, NoConnection | HTTPClientError)


def resume(task_token: str, output: dict[str, Any]) -> bool:
    return _call(client("stepfunctions").send_task_success, taskToken=task_token, output=json.dumps(output))


def heartbeat(task_token: str) -> bool:
    """Restart the waiting task's heartbeat timer (the lifetime backstop); False if it already ended."""
    return _call(client("stepfunctions").send_task_heartbeat, taskToken=task_token)


def fail(task_token: str, error: str, cause: str) -> bool:
    return _call(client("stepfunctions").send_task_failure, taskToken=task_token, error=error, cause=cause)
