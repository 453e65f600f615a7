"""DynamoDB TransactWriteItems costs what the transaction touches, not the size of its tables.

moto deep-copies every table a transaction names before it starts, to roll back on a failed condition. With
thousands of items (a 9,999-row bulk import) every transaction then copies them all: the time and the memory
grow with the square of the data. And its rollback puts the whole copy back, which also loses what other
threads wrote meanwhile (our workflows run in threads). DynamoDB applies a transaction's writes all or
nothing and leaves every other item alone. Here the table is not copied; the items the transaction names are
snapshotted and, when moto cancels the transaction, exactly those are put back.

Replaces ``moto.dynamodb.models.DynamoDBBackend.transact_write_items`` and gives
``moto.dynamodb.models.table.Table`` a ``__deepcopy__``. Tested in ``tests/local/test_moto_patches.py``.
"""

from __future__ import annotations

import copy
import threading
from typing import Any

LIBRARY = "moto"
VERSIONS = ">=5.2.5,<5.3"

_state = threading.local()


def apply() -> None:
    from moto.dynamodb.exceptions import MockValidationException, MultipleTransactionsException
    from moto.dynamodb.models import DynamoDBBackend
    from moto.dynamodb.models.table import Table

    original = DynamoDBBackend.transact_write_items

    def table_deepcopy(self: Table, memo: dict[int, Any]) -> Table:
        if getattr(_state, "in_transaction", False):
            return self  # the transaction's "backup": the touched items are snapshotted instead (below)
        clone: Table = Table.__new__(Table)  # type: ignore[assignment]
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
