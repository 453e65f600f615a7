"""Every AWS request this process makes, counted with botocore event hooks, per operation of ours.

:func:`install` registers two handlers in botocore's ``BUILTIN_HANDLERS``, so every botocore session
created afterwards (ours, pynamodb's, boto3's) carries them on every client:

- ``before-parameter-build``: one per API call (retries are not new calls), with the API parameters;
- ``after-call``: the parsed response (items read, errors).

A request is attributed to the label of the thread it runs in (:func:`label`): the bench wraps every
Lambda invocation of the local stack in one (``local.bridge.invoke``), so the calls a handler makes are
its own, whichever thread Step Functions runs it in.

For DynamoDB each request also gets its request units, from the sizes of the items it touched as moto
holds them (read straight from moto's backend in this process, before and after the call, without a
request): see :func:`units`.
"""

from __future__ import annotations

import contextlib
import math
import threading
from collections import Counter
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from typing import Any

_local = threading.local()
_lock = threading.Lock()


@dataclass(frozen=True)
class IndexEntry:
    """An item's entry in a global secondary index: its key there, and what the index's projection copies."""

    key: str
    projected: str  # the projected attributes, as JSON (equal: the index entry did not change)
    size: int


@dataclass
class Call:
    service: str  # botocore's service name: dynamodb, stepfunctions, sesv2, events...
    operation: str
    params: dict[str, Any]
    label: str
    error: str = ""
    items_read: int = 0  # items DynamoDB read (Query/Scan: evaluated, ScannedCount; gets: found)
    rru: float = 0.0  # read request units (on demand)
    wru: float = 0.0  # write request units, table and its global secondary indexes
    wru_index: float = 0.0  # of which the global secondary indexes' writes
    before: dict[tuple[str, str], int | None] = field(default_factory=dict)  # (table, key) -> size (None: absent)
    gsi_before: dict[tuple[str, str], dict[str, IndexEntry | None]] = field(default_factory=dict)
    reasons: list[str] = field(default_factory=list)  # a cancelled transaction's cancellation reason codes


@dataclass
class Recorder:
    calls: list[Call] = field(default_factory=list)
    peek: Callable[[str, dict[str, Any]], Any] | None = None  # (table, key) -> moto Item or None

    def clear(self) -> None:
        with _lock:
            self.calls.clear()

    def take(self) -> list[Call]:
        with _lock:
            taken, self.calls[:] = list(self.calls), []
        return taken


RECORDER = Recorder()
_installed = False


def current_label() -> str:
    return getattr(_local, "label", "") or "other"


@contextlib.contextmanager
def label(name: str) -> Iterator[None]:
    """Attribute the AWS requests this thread makes meanwhile to ``name``."""
    previous = getattr(_local, "label", "")
    _local.label = name
    try:
        yield
    finally:
        _local.label = previous


def install(peek: Callable[[str, dict[str, Any]], Any] | None = None) -> Recorder:
    """Hook every botocore session made from now on (call before any client exists)."""
    global _installed
    RECORDER.peek = peek
    if _installed:
        return RECORDER
    from botocore import handlers

    handlers.BUILTIN_HANDLERS.append(("before-parameter-build", _before))
    handlers.BUILTIN_HANDLERS.append(("after-call", _after))
    _installed = True
    return RECORDER


def _service(model: Any) -> str:
    return str(model.service_model.service_name)


def _before(params: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
    call = Call(_service(model), model.name, dict(params), current_label())
    if call.service == "dynamodb" and RECORDER.peek is not None:
        for table, key in _written_keys(call.operation, params):
            item = _peek(table, key)
            call.before[(table, _key_id(key))] = _size(item)
            call.gsi_before[(table, _key_id(key))] = _index_keys(table, item)
    context["bench_call"] = call


def _after(parsed: dict[str, Any], model: Any, context: dict[str, Any], **_: Any) -> None:
    call: Call | None = context.get("bench_call")
    if call is None:  # a client made before install(): not ours to count
        return
    call.error = str((parsed.get("Error") or {}).get("Code", ""))
    call.reasons = [str(r.get("Code", "")) for r in parsed.get("CancellationReasons") or [] if isinstance(r, dict)]
    if call.service == "dynamodb":
        call.items_read = _items_read(call.operation, parsed)
        if RECORDER.peek is not None:
            call.rru, call.wru = units(call, parsed)
    with _lock:
        RECORDER.calls.append(call)


# ---------------------------------------------------------------- DynamoDB: items and request units

READS = {"GetItem", "BatchGetItem", "Query", "Scan", "TransactGetItems"}
WRITES = {"PutItem", "UpdateItem", "DeleteItem", "BatchWriteItem", "TransactWriteItems"}


def _items_read(operation: str, parsed: dict[str, Any]) -> int:
    if operation in ("Query", "Scan"):
        return int(parsed.get("ScannedCount", parsed.get("Count", 0)))
    if operation == "GetItem":
        return 1 if parsed.get("Item") else 0
    if operation == "BatchGetItem":
        return sum(len(items) for items in (parsed.get("Responses") or {}).values())
    if operation == "TransactGetItems":
        return sum(1 for r in parsed.get("Responses") or [] if r.get("Item"))
    return 0


def _key_id(key: dict[str, Any]) -> str:
    return "|".join(f"{k}={next(iter(v.values()))}" for k, v in sorted(key.items()))


def _written_keys(operation: str, params: dict[str, Any]) -> list[tuple[str, dict[str, Any]]]:
    """(table, key) of every item a write request changes."""
    found: list[tuple[str, dict[str, Any]]] = []
    if operation == "PutItem":
        found.append((params["TableName"], _key_of(params["TableName"], params["Item"])))
    elif operation in ("UpdateItem", "DeleteItem"):
        found.append((params["TableName"], params["Key"]))
    elif operation == "TransactWriteItems":
        for entry in params.get("TransactItems", []):
            ((kind, action),) = entry.items()
            if kind == "Put":
                found.append((action["TableName"], _key_of(action["TableName"], action["Item"])))
            elif kind in ("Update", "Delete"):
                found.append((action["TableName"], action["Key"]))
    elif operation == "BatchWriteItem":
        for table, requests in params.get("RequestItems", {}).items():
            for request in requests:
                if "PutRequest" in request:
                    found.append((table, _key_of(table, request["PutRequest"]["Item"])))
                else:
                    found.append((table, request["DeleteRequest"]["Key"]))
    return found


def _table(name: str) -> Any:
    from moto.backends import get_backend

    from local.template import ACCOUNT, REGION

    return get_backend("dynamodb")[ACCOUNT][REGION].get_table(name)


def _key_of(table: str, item: dict[str, Any]) -> dict[str, Any]:
    schema = _table(table).schema
    return {k["AttributeName"]: item[k["AttributeName"]] for k in schema}


def _peek(table: str, key: dict[str, Any]) -> Any:
    assert RECORDER.peek is not None
    return RECORDER.peek(table, key)


def moto_peek(table: str, key: dict[str, Any]) -> Any:
    """The item as moto holds it in this process (no request is made, nothing is counted)."""
    from moto.dynamodb.models.dynamo_type import DynamoType

    schema = _table(table).schema
    values = [DynamoType(key[k["AttributeName"]]) for k in schema]
    return _table(table).get_item(values[0], values[1] if len(values) > 1 else None)


def _size(item: Any) -> int | None:
    return None if item is None else item_size(item.to_json()["Attributes"])


def _index_keys(table: str, item: Any) -> dict[str, IndexEntry | None]:
    """Each global secondary index -> the item's entry in it (None: the item is not in that index): its key
    there, and the attributes the index's projection copies (ALL: the whole item; KEYS_ONLY: the table's and
    the index's keys; INCLUDE: those and the listed attributes), with their size."""
    import json

    found: dict[str, IndexEntry | None] = {}
    attrs = item.to_json()["Attributes"] if item is not None else {}
    for index in _table(table).global_indexes:
        names = [k["AttributeName"] for k in index.schema]
        if item is None or not all(n in attrs for n in names):
            found[index.name] = None
            continue
        projected = index.project(item).to_json()["Attributes"]
        found[index.name] = IndexEntry(
            key="|".join(str(attrs[n]) for n in names),
            projected=json.dumps(projected, sort_keys=True),
            size=item_size(projected),
        )
    return found


def item_size(attributes: dict[str, Any]) -> int:
    """An item's size by DynamoDB's rules (names and values in UTF-8; numbers about one byte per two
    digits plus one; lists and maps 3 bytes plus 1 byte per element)."""
    return sum(len(name.encode()) + _value_size(value) for name, value in attributes.items())


def _value_size(value: dict[str, Any]) -> int:
    ((kind, raw),) = value.items()
    if kind == "S":
        return len(str(raw).encode())
    if kind == "N":
        digits = str(raw).lstrip("-").replace(".", "").lstrip("0") or "0"
        return math.ceil(len(digits) / 2) + 1
    if kind == "B":
        return len(raw)
    if kind in ("BOOL", "NULL"):
        return 1
    if kind == "SS":
        return sum(len(str(v).encode()) for v in raw)
    if kind == "NS":
        return sum(_value_size({"N": v}) for v in raw)
    if kind == "L":
        return 3 + sum(1 + _value_size(v) for v in raw)
    if kind == "M":
        return 3 + sum(1 + len(k.encode()) + _value_size(v) for k, v in raw.items())
    return len(str(raw).encode())


def _read_units(size: int | None, consistent: bool, transactional: bool = False) -> float:
    units = max(1, math.ceil((size or 0) / 4096))
    if transactional:
        return 2.0 * units
    return float(units) if consistent else units / 2


def _write_units(size_before: int | None, size_after: int | None) -> float:
    return float(max(1, math.ceil(max(size_before or 0, size_after or 0) / 1024)))


def units(call: Call, parsed: dict[str, Any]) -> tuple[float, float]:
    """(read units, write units) of one DynamoDB request, by the on-demand rules: a read is 1 unit per
    4 KB strongly consistent (half eventually consistent, twice in a transaction), a Query sums the
    sizes it read; a write is 1 unit per 1 KB of the larger of the item before and after, twice in a
    transaction, plus the writes of each global secondary index the item is (or was) in, at the size of
    its entry there (what the index projects: the whole item for ALL): one when it entered or left the
    index or its projected attributes changed, two when its key in the index changed, none when the write
    changed nothing the index holds. A refused write is billed for the table, not the indexes."""
    op, params = call.operation, call.params
    if call.error and op not in WRITES:
        return 0.0, 0.0
    rru = 0.0
    if op == "GetItem":
        item = parsed.get("Item")
        rru = _read_units(item_size(item) if item else None, bool(params.get("ConsistentRead")))
    elif op == "BatchGetItem":
        for table, request in params.get("RequestItems", {}).items():
            found = [item_size(i) for i in (parsed.get("Responses") or {}).get(table, [])]
            missing = len(request.get("Keys", [])) - len(found)
            consistent = bool(request.get("ConsistentRead"))
            rru += sum(_read_units(s, consistent) for s in found) + missing * _read_units(None, consistent)
    elif op in ("Query", "Scan"):
        size = sum(item_size(i) for i in parsed.get("Items") or [])
        consistent = bool(params.get("ConsistentRead")) and not params.get("IndexName")
        rru = _read_units(size, consistent)
    elif op == "TransactGetItems":
        for response in parsed.get("Responses") or []:
            item = response.get("Item")
            rru += _read_units(item_size(item) if item else None, True, transactional=True)
    wru = wru_index = 0.0
    if op in WRITES:
        factor = 2.0 if op == "TransactWriteItems" else 1.0
        for table, key in _written_keys(op, params):
            ident = (table, _key_id(key))
            after = _peek(table, key)
            size_before, size_after = call.before.get(ident), _size(after)
            wru += factor * _write_units(size_before, size_after)  # a refused write is billed too
            if call.error:
                continue  # nothing changed: no index writes
            index_after = _index_keys(table, after)
            for index, entry_before in call.gsi_before.get(ident, {}).items():
                wru_index += _index_write_units(entry_before, index_after.get(index))
    call.wru_index = wru_index
    return rru, wru + wru_index


def _index_write_units(before: IndexEntry | None, after: IndexEntry | None) -> float:
    """The write units one table write costs in one global secondary index (entries sized as projected)."""
    if before is None and after is None:
        return 0.0
    if after is None:  # left the index: one delete
        return _write_units(before.size if before else None, None)
    if before is None:  # entered it: one put
        return _write_units(None, after.size)
    if before.key != after.key:  # moved in it: delete and put
        return _write_units(before.size, None) + _write_units(None, after.size)
    if before.projected == after.projected:  # nothing the index holds changed: no index write
        return 0.0
    return _write_units(before.size, after.size)


# ---------------------------------------------------------------- summaries


@dataclass
class Summary:
    by_operation: Counter[str]
    dynamodb: int
    items_read: int
    rru: float
    wru: float
    wru_index: float = 0.0  # of the write units, those of global secondary indexes

    def count(self, service: str, operation: str | None = None) -> int:
        return sum(
            n
            for key, n in self.by_operation.items()
            if key.split(".")[0] == service and (operation is None or key.split(".")[1] == operation)
        )

    def describe(self) -> str:
        return ", ".join(f"{n} {key.split('.', 1)[1]}" for key, n in sorted(self.by_operation.items()))


def summarise(calls: list[Call]) -> Summary:
    by_operation: Counter[str] = Counter(f"{c.service}.{c.operation}" for c in calls)
    ddb = [c for c in calls if c.service == "dynamodb"]
    return Summary(
        by_operation=by_operation,
        dynamodb=len(ddb),
        items_read=sum(c.items_read for c in ddb),
        rru=sum(c.rru for c in ddb),
        wru=sum(c.wru for c in ddb),
        wru_index=sum(c.wru_index for c in ddb),
    )
