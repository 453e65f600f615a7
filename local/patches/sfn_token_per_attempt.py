"""Each attempt of a retried callback task has a token of its own, and the earlier one is closed.

moto makes one token when the state is entered and hands it to every retry, and a token whose attempt failed
still takes an answer. Step Functions gives every attempt its own token and answers TaskTimedOut for the
earlier one. Without this, an accept that came between the attempts (with the first attempt's token, as
stored on the invitation) resumed the retry that the job should resume, which cannot happen on AWS.

Wraps ``StateTaskServiceCallback._eval_execution`` (``moto.stepfunctions.parser``). Tested in
``tests/local/test_moto_patches.py``.
"""

from __future__ import annotations

from typing import Any

LIBRARY = "moto"
VERSIONS = ">=5.2.5,<5.3"


def apply() -> None:
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_callback import (
        StateTaskServiceCallback,
    )
    from moto.stepfunctions.parser.asl.eval.callback.callback import CallbackConsumerTimeout
    from moto.stepfunctions.parser.utils import long_uid

    original = StateTaskServiceCallback._eval_execution

    def _eval_execution(self: StateTaskServiceCallback, env: Any) -> None:
        data = env.states.context_object.context_object_data
        task = data.get("Task")  # only a waitForTaskToken state has one while it runs
        if task is not None and data.get("State", {}).get("RetryCount", 0) > 0:
            earlier = env.callback_pool_manager.get(task["Token"])
            if earlier is not None:
                earlier.report(CallbackConsumerTimeout())  # SendTask* with it: TaskTimedOut
            task["Token"] = long_uid()  # the dict is the state's own, shared with this attempt's frame
            env.callback_pool_manager.add(task["Token"])
        original(self, env)

    StateTaskServiceCallback._eval_execution = _eval_execution  # type: ignore[method-assign,assignment]
