"""moto 5.2 patches for the local stack (installed by ``local.stack.deploy``; tested in
``tests/unit/test_moto_patches.py``). What moto does, succeeds or refuses is otherwise moto's own code.

**DynamoDB TransactWriteItems costs what the transaction touches, not the size of its tables.** moto
deep-copies every table a transaction names before it starts, to roll back on a failed condition. With
thousands of items (a 9,999-row bulk import) every transaction then copies them all: the time and the
memory grow with the square of the data. And its rollback puts the whole copy back, which also loses what
other threads wrote meanwhile (our workflows run in threads). Here the table is not copied; the items the
transaction names are snapshotted and, when moto cancels the transaction, exactly those are put back.

**A task token answered while its task's Lambda still runs is heard.** For a ``waitForTaskToken`` task with
``HeartbeatSeconds`` moto's interpreter registers the token before it invokes the function, but builds the
heartbeat waiter only after the function returned, and then waits on that waiter alone: a SendTaskSuccess or
SendTaskFailure that came in between is accepted (its caller sees success) and never reaches the execution,
which sleeps until the heartbeat times out (our invitation's lifetime: 30 days). Step Functions takes the
answer whenever it comes. Here a heartbeat waiter set up for a token already answered starts notified. Ours
hit it when an accept, a revoke or the job's expiry came within milliseconds of the invitation e-mail.

**Each attempt of a retried callback task has a token of its own, and the earlier one is closed.** moto
makes one token when the state is entered and hands it to every retry, and a token whose attempt failed
still takes an answer. Step Functions gives every attempt its own token and answers TaskTimedOut for the
earlier one. Without this, an accept that came between the attempts (with the first attempt's token, as
stored on the invitation) resumed the retry that the job should resume, which cannot happen on AWS.

**A task token that was answered is closed.** moto takes a second SendTaskSuccess, SendTaskFailure or
SendTaskHeartbeat with a token it already had an answer for, says it succeeded, and does nothing. Step
Functions closes the task with its first answer and refuses the later ones (TaskTimedOut; moto's API, with
this patch, says TaskDoesNotExist: its provider tests the wrapping error's type, not the timeout's; both are
"closed" to us). Here an answer closes its token the way the previous patch closes an earlier attempt's,
so moto's own check refuses what comes after. Without this, the scheduled job took "resumed" for an answer
when the workflow had been resumed long before (and was settling), and a revoke after an accept looked as
if it had ended a waiting workflow.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

_state = threading.local()
_installed = False


def install() -> None:
    global _installed
    if _installed:
        return
    _patch_transactions()
    _patch_callbacks()
    _patch_task_tokens()
    _patch_answered_tokens()
    _installed = True


def _patch_answered_tokens() -> None:
    from moto.stepfunctions.parser.asl.eval.callback.callback import CallbackConsumerTimeout, CallbackEndpoint

    original = CallbackEndpoint.notify

    def notify(self: CallbackEndpoint, outcome: Any) -> None:
        original(self, outcome=outcome)
        self.report(CallbackConsumerTimeout())  # closed by its first answer, as an earlier attempt's token is

    CallbackEndpoint.notify = notify  # type: ignore[method-assign]


def _patch_task_tokens() -> None:
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

    StateTaskServiceCallback._eval_execution = _eval_execution  # type: ignore[method-assign]


def _patch_callbacks() -> None:
    from moto.stepfunctions.parser.asl.eval.callback.callback import CallbackEndpoint, HeartbeatEndpoint

    original = CallbackEndpoint.setup_heartbeat_endpoint

    def setup_heartbeat_endpoint(self: CallbackEndpoint, heartbeat_seconds: int) -> HeartbeatEndpoint:
        endpoint = original(self, heartbeat_seconds=heartbeat_seconds)
        if self.get_outcome() is not None:  # answered before the waiter existed (notify() found none)
            endpoint.notify()
        return endpoint

    CallbackEndpoint.setup_heartbeat_endpoint = setup_heartbeat_endpoint  # type: ignore[method-assign]


def _patch_transactions() -> None:
    from moto.dynamodb.exceptions import MockValidationException, MultipleTransactionsException
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    original = DynamoDBBackend.transact_write_items

    def table_deepcopy(self: Table, memo: dict[int, Any]) -> Table:
        if getattr(_state, "in_transaction", False):
            return self  # the transaction's "backup": the touched items are snapshotted instead (below)
        clone = Table.__new__(Table)
        memo[id(self)] = clone
        for name, value in self.__dict__.items():
            setattr(clone, name, copy.deepcopy(value, memo))
        return clone

    def transact_write_items(self: DynamoDBBackend, transact_items: list[dict[str, Any]]) -> None:
        snapshots = _snapshot(self, transact_items)
        _state.in_transaction = True
        try:
            original(self, transact_items)
        except Exception as error:
            if type(error).__name__ == "TransactionCanceledException" or isinstance(
                error, MultipleTransactionsException | MockValidationException
            ):
                _restore(snapshots)
            raise
        finally:
            _state.in_transaction = False

    Table.__deepcopy__ = table_deepcopy  # type: ignore[attr-defined]
    DynamoDBBackend.transact_write_items = transact_write_items  # type: ignore[method-assign]


def _snapshot(backend: Any, transact_items: list[dict[str, Any]]) -> list[tuple[Any, Any, Any, Any]]:
    """(table, hash value, range value, a copy of the item or None) for every item the transaction names."""
    found = []
    for entry in transact_items:
        for op_type, op in entry.items():
            table = backend.tables.get(op.get("TableName"))
            if table is None:
                continue
            if op_type == "Put":
                attrs = op.get("Item", {})
                key = {k: attrs[k] for k in (table.hash_key_attr, table.range_key_attr) if k and k in attrs}
            else:
                key = op.get("Key", {})
            try:
                hash_value, range_value = backend.get_keys_value(table, key)
            except Exception:  # noqa: BLE001, S112 - a malformed key: moto refuses the transaction itself
                continue
            found.append((table, hash_value, range_value, copy.deepcopy(table.get_item(hash_value, range_value))))
    return found


def _restore(snapshots: list[tuple[Any, Any, Any, Any]]) -> None:
    for table, hash_value, range_value, before in reversed(snapshots):
        if before is None:
            if table.get_item(hash_value, range_value) is not None:
                table.delete_item(hash_value, range_value)
        elif table.range_key_attr:
            table.items[hash_value][range_value] = before
        else:
            table.items[hash_value] = before
