"""A task token that was answered is closed.

moto takes a second SendTaskSuccess, SendTaskFailure or SendTaskHeartbeat with a token it already had an
answer for, says it succeeded, and does nothing. Step Functions closes the task with its first answer and
refuses the later ones (TaskTimedOut; moto's API, with this patch, says TaskDoesNotExist: its provider tests
the wrapping error's type, not the timeout's; both are "closed" to us). Here an answer closes its token the
way ``sfn_token_per_attempt`` closes an earlier attempt's, so moto's own check refuses what comes after.
Without this, the scheduled job took "resumed" for an answer when the workflow had been resumed long before
(and was settling), and a revoke after an accept looked as if it had ended a waiting workflow.

Wraps ``CallbackEndpoint.notify`` (``moto.stepfunctions.parser.asl.eval.callback``). Tested in
``tests/local/test_moto_patches.py``.
"""

from __future__ import annotations

from typing import Any

LIBRARY = "moto"
VERSIONS = ">=5.2.5,<5.3"


def apply() -> None:
    from moto.stepfunctions.parser.asl.eval.callback.callback import CallbackConsumerTimeout, CallbackEndpoint

    original = CallbackEndpoint.notify

    def notify(self: CallbackEndpoint, outcome: Any) -> None:
        original(self, outcome=outcome)
        self.report(CallbackConsumerTimeout())  # closed by its first answer, as an earlier attempt's token is

    CallbackEndpoint.notify = notify  # type: ignore[method-assign]
