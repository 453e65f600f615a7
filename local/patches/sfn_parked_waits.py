"""A waiting execution holds no thread: a ``waitForTaskToken`` task parks until its token is answered.

moto's Step Functions interpreter runs every execution on threads of its own and waits by blocking them: one
thread runs the execution, one the program, one each state (so that the state's ``TimeoutSeconds`` can be
enforced from outside), and a ``waitForTaskToken`` task blocks the state's thread until SendTaskSuccess,
SendTaskFailure or a heartbeat timeout. Every invitation waits for its acceptance for up to 30 days, so the
local stack's threads grew with the open invitations: three per invitation (a 2,000-row import left 3,000
threads, and each new execution got slower). Step Functions holds no resource of the caller's while a task
waits; its limit is the number of open executions (1,000,000 by default), not threads.

Here such executions run as greenlets on a small pool of worker threads (``WORKERS``), each with its own
queue and timers:

- ``ExecutionWorker.start`` hands the execution to the pool (a free worker takes it) instead of starting a
  thread; the program and a ``waitForTaskToken`` state run on the execution's greenlet, without the threads
  moto adds around them (other states keep moto's thread and its timeout);
- a ``waitForTaskToken`` task that has no answer yet *parks*: it registers itself on its token's
  ``CallbackEndpoint`` with a timer for the nearer of its heartbeat and state deadlines and switches back to
  its worker, which runs other executions meanwhile. SendTaskSuccess/SendTaskFailure (``notify``),
  SendTaskHeartbeat (``notify_heartbeat``) and StopExecution wake it on the worker that parked it (a greenlet
  resumes on its own thread only); the timer ends it with moto's own outcome: ``HeartbeatTimedOut`` (the
  heartbeat timeout: our expiry backstop) or ``EvalTimeoutError`` (States.Timeout). A heartbeat moves the
  heartbeat deadline, as moto's ``HeartbeatEndpoint`` does;
- the Retry interval and a ``Wait`` state park too, rather than sleep on the worker;
- such executions share their state machine's parsed program (moto parses the definition again for every
  execution: about 25 ms and 200 KB each for the invitation workflow).

Everything else is moto's code, unchanged: the same ASL evaluation, retries, catches, events, outcomes and
exceptions. An execution of a state machine with a Map or Parallel state, or with a top-level
``TimeoutSeconds``, runs as moto runs it (its own threads): those states wait on threads of their own. A task
blocked on a worker (a Lambda invocation) delays the greenlets parked on that worker until it returns. A
candidate to offer upstream to moto: an interpreter whose callback waits are continuations keyed by task
token, resumed by the call that answers them, rather than blocked threads.

Replaces ``ExecutionWorker.start``/``stop``, ``Program.eval``, ``ExecutionState._evaluate_with_timeout`` (for
``waitForTaskToken`` states), ``StateTaskServiceCallback._eval_wait_for_task_token``, ``WaitFunction.
_wait_interval`` and the Retry interval's ``time.sleep``; wraps ``CallbackEndpoint.notify``,
``notify_heartbeat`` and ``interrupt_all`` (``moto.stepfunctions.parser``). Uses ``greenlet``. Tested in
``tests/local/test_parked_waits.py`` and by every integration test that runs a workflow.
"""

from __future__ import annotations

import copy
import functools
import heapq
import itertools
import json
import logging
import threading
import time
from collections import deque
from collections.abc import Callable
from typing import Any

import greenlet

LIBRARY = "moto"
VERSIONS = ">=5.2.5,<5.3"

WORKERS = 8  # threads that run all parked-capable executions; a Lambda invocation blocks one of them
_UNPARKABLE_STATES = frozenset({"Map", "Parallel"})

LOG = logging.getLogger(__name__)

_cond = threading.Condition()  # guards every worker's wakes and timers, the start queue and every park
_starts: deque[Any] = deque()  # executions waiting for a free worker
_workers: list[_Worker] = []
_seq = itertools.count()


class _Execution(greenlet.greenlet):
    """An execution's greenlet; ``worker`` is the thread it runs (and resumes) on."""

    exec_worker: Any
    worker: _Worker


class _Park:
    """One parked wait of one execution."""

    __slots__ = ("active", "execution", "worker")

    def __init__(self, execution: _Execution) -> None:
        self.execution: _Execution | None = execution
        self.worker = execution.worker
        self.active = True


class _Worker:
    def __init__(self, index: int) -> None:
        self.wakes: deque[_Park] = deque()
        self.timers: list[tuple[float, int, _Park]] = []
        self.hub: greenlet.greenlet | None = None
        self.thread = threading.Thread(target=self._loop, name=f"sfn-worker-{index}", daemon=True)

    def _next(self) -> tuple[str, Any]:
        with _cond:
            while True:
                if self.wakes:
                    park = self.wakes.popleft()
                    if park.active:
                        park.active = False
                        return "wake", park
                    continue
                now = time.monotonic()
                if self.timers and self.timers[0][0] <= now:
                    park = heapq.heappop(self.timers)[2]
                    if park.active:
                        park.active = False
                        return "timer", park
                    continue
                if _starts:
                    return "start", _starts.popleft()
                _cond.wait(self.timers[0][0] - now if self.timers else None)

    def _loop(self) -> None:
        self.hub = greenlet.getcurrent()
        while True:
            kind, item = self._next()
            try:
                if kind == "start":
                    execution = _Execution(run=_run_execution, parent=self.hub)
                    execution.exec_worker, execution.worker = item, self
                    execution.switch()
                else:
                    execution, item.execution = item.execution, None
                    if execution is not None and not execution.dead:
                        execution.switch(kind)
            except Exception:  # an execution's own failure is its own; the worker goes on
                LOG.exception("Step Functions execution failed outside its program")


def _run_execution() -> None:
    execution = greenlet.getcurrent()
    assert isinstance(execution, _Execution)
    try:
        execution.exec_worker._execution_logic()
    except greenlet.GreenletExit:  # StopExecution ended it while it waited: ABORTED, as the stop set it
        execution.exec_worker._execution_communication.terminated()


def _current() -> _Execution | None:
    current = greenlet.getcurrent()
    return current if isinstance(current, _Execution) else None


def _park(endpoint: Any, seconds: float, ready: Callable[[], bool]) -> bool:
    """Park the current execution for up to ``seconds``, unless ``ready()`` already. True when woken (or ready),
    False when the time ran out. Woken by ``_wake`` (an answer on ``endpoint``, a stop) on its own worker."""
    execution = _current()
    assert execution is not None
    park = _Park(execution)
    with _cond:
        if ready():  # checked after registering would race; under the lock no wake can slip in between
            return True
        if endpoint is not None:
            endpoint._parked = park
        heapq.heappush(execution.worker.timers, (time.monotonic() + max(seconds, 0.0), next(_seq), park))
    assert execution.worker.hub is not None
    reason = execution.worker.hub.switch()
    return bool(reason == "wake")


def _wake(park: _Park | None) -> None:
    if park is None:
        return
    with _cond:
        if park.active:
            park.worker.wakes.append(park)
            _cond.notify_all()


def _eligible(definition: str) -> bool:
    try:
        program = json.loads(definition)
    except ValueError:
        return False
    states = program.get("States") or {}
    return "TimeoutSeconds" not in program and not any(
        isinstance(s, dict) and s.get("Type") in _UNPARKABLE_STATES for s in states.values()
    )


@functools.lru_cache(maxsize=32)
def _program(definition: str) -> Any:
    """The parsed program of a definition, shared by its executions: parsing the invitation workflow takes
    moto's ANTLR parser about 25 ms and its tree about 200 KB, per execution otherwise. Its components hold no
    execution's state (that is all in the execution's environment)."""
    from moto.stepfunctions.parser.asl.parse.asl_parser import AmazonStateLanguageParser

    return AmazonStateLanguageParser.parse(definition)[0]


def _start_workers() -> None:
    with _cond:
        if _workers:
            return
        _workers.extend(_Worker(i) for i in range(WORKERS))
        for worker in _workers:
            worker.thread.start()


def apply() -> None:
    from moto.stepfunctions.parser.asl.component.common.retry import retrier_decl
    from moto.stepfunctions.parser.asl.component.common.timeouts.timeout import EvalTimeoutError
    from moto.stepfunctions.parser.asl.component.eval_component import EvalComponent
    from moto.stepfunctions.parser.asl.component.program.program import Program
    from moto.stepfunctions.parser.asl.component.state.exec.execute_state import ExecutionState
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.resource import (
        ResourceCondition,
    )
    from moto.stepfunctions.parser.asl.component.state.exec.state_task.service.state_task_service_callback import (
        StateTaskServiceCallback,
    )
    from moto.stepfunctions.parser.asl.component.state.wait.wait_function.wait_function import WaitFunction
    from moto.stepfunctions.parser.asl.eval.callback.callback import (
        CallbackEndpoint,
        CallbackOutcomeTimedOut,
        HeartbeatTimedOut,
    )
    from moto.stepfunctions.parser.asl.eval.program_state import ProgramStopped
    from moto.stepfunctions.parser.backend.execution_worker import ExecutionWorker, SyncExecutionWorker

    # -- executions on the pool
    original_start = ExecutionWorker.start
    original_stop = ExecutionWorker.stop

    def start(self: ExecutionWorker) -> None:
        if isinstance(self, SyncExecutionWorker) or not _eligible(
            self._evaluation_details.state_machine_details.definition
        ):
            original_start(self)
            return
        # The environment exists from the start, as StopExecution and DescribeExecution expect.
        env = self._get_evaluation_environment()
        self.env = env
        program = _program(self._evaluation_details.state_machine_details.definition)
        self._get_evaluation_environment = lambda: env  # type: ignore[method-assign]  # _execution_logic's
        self._get_evaluation_entrypoint = lambda: program  # type: ignore[method-assign]
        _start_workers()
        with _cond:
            _starts.append(self)
            _cond.notify_all()

    def stop(self: ExecutionWorker, stop_date: Any, error: str | None, cause: str | None) -> None:
        original_stop(self, stop_date, error, cause)
        with _cond:
            parked = [p for w in _workers for _, _, p in w.timers if p.active and p.execution is not None]
        for park in parked:
            if park.execution is not None and park.execution.exec_worker is self:
                _wake(park)

    ExecutionWorker.start = start  # type: ignore[method-assign]
    ExecutionWorker.stop = stop  # type: ignore[method-assign]

    original_program_eval = Program.eval

    def program_eval(self: Program, env: Any) -> None:
        if _current() is None or self.timeout_seconds is not None:
            original_program_eval(self, env)
            return
        env.next_state_name = self.start_at.start_at_name
        EvalComponent.eval(self, env)  # what moto's program thread runs

    Program.eval = program_eval  # type: ignore[method-assign]

    # -- a waitForTaskToken state on the execution's greenlet: moto's _evaluate_with_timeout without its thread
    original_evaluate = ExecutionState._evaluate_with_timeout

    def _evaluate_with_timeout(self: ExecutionState, env: Any) -> None:
        if not (
            _current() is not None
            and isinstance(self, StateTaskServiceCallback)
            and self.resource.condition == ResourceCondition.WaitForTaskToken
        ):
            original_evaluate(self, env)
            return
        self.timeout.eval(env=env)
        timeout_seconds: int = env.stack.pop()
        frame = env.open_frame()
        frame.states.reset(input_value=env.states.get_input())
        frame.stack = copy.deepcopy(env.stack)
        frame._parked_deadline = time.monotonic() + timeout_seconds  # the state's timeout, enforced by the wait
        outputs: list[Any] = []
        try:
            self._eval_execution(frame)
            outputs.extend(frame.stack)
        finally:
            frame.set_ended()
            env.close_frame(frame)
        env.stack.append(outputs.pop())
        if not self._is_language_query_jsonpath():
            env.states.set_result(env.stack[-1])
        if self.assign_decl:
            self.assign_decl.eval(env=env)
        if self.result_selector:
            self.result_selector.eval(env=env)
        if self.result_path:
            self.result_path.eval(env)
        else:
            env.states.reset(input_value=env.stack.pop())

    ExecutionState._evaluate_with_timeout = _evaluate_with_timeout  # type: ignore[method-assign]

    original_wait_for_task_token = StateTaskServiceCallback._eval_wait_for_task_token

    def _eval_wait_for_task_token(
        self: StateTaskServiceCallback,
        env: Any,
        timeout_seconds: int,
        callback_endpoint: CallbackEndpoint,
        heartbeat_endpoint: Any,
    ) -> Any:
        if _current() is None:
            return original_wait_for_task_token(self, env, timeout_seconds, callback_endpoint, heartbeat_endpoint)
        now = time.monotonic()
        state_deadline = getattr(env, "_parked_deadline", now + timeout_seconds)
        beat_seconds = heartbeat_endpoint._heartbeat_seconds if heartbeat_endpoint is not None else None
        beat_deadline = now + beat_seconds if beat_seconds is not None else None

        def beat() -> bool:  # a heartbeat came (consumed, as moto's clear_and_wait does)
            if heartbeat_endpoint is None:
                return False
            with heartbeat_endpoint._mutex:
                if heartbeat_endpoint._next_heartbeat_event.is_set():
                    heartbeat_endpoint._next_heartbeat_event.clear()
                    return True
            return False

        def ready() -> bool:
            return (
                not env.is_running()
                or callback_endpoint.get_outcome() is not None
                or (heartbeat_endpoint is not None and heartbeat_endpoint._next_heartbeat_event.is_set())
            )

        while True:
            if not env.is_running():
                if isinstance(env.program_state(), ProgramStopped):
                    raise greenlet.GreenletExit  # StopExecution: the execution ends here, without a task outcome
                return CallbackOutcomeTimedOut(callback_id=callback_endpoint.callback_id)
            outcome = callback_endpoint.get_outcome()
            if outcome is not None:
                return outcome
            now = time.monotonic()
            if beat():
                beat_deadline = now + beat_seconds  # type: ignore[operator]
                continue
            if beat_deadline is not None and now >= beat_deadline:
                return HeartbeatTimedOut()
            if now >= state_deadline:
                raise EvalTimeoutError()
            deadline = min(state_deadline, beat_deadline) if beat_deadline is not None else state_deadline
            _park(callback_endpoint, deadline - now, ready)

    StateTaskServiceCallback._eval_wait_for_task_token = _eval_wait_for_task_token  # type: ignore[method-assign]

    # -- the answers wake the parked task
    for name in ("notify", "notify_heartbeat", "interrupt_all"):
        original = getattr(CallbackEndpoint, name)

        def answered(self: CallbackEndpoint, *args: Any, __original: Any = original, **kwargs: Any) -> Any:
            result = __original(self, *args, **kwargs)
            _wake(getattr(self, "_parked", None))
            return result

        setattr(CallbackEndpoint, name, answered)

    # -- Wait states and Retry intervals park instead of sleeping on the worker
    original_wait_interval = WaitFunction._wait_interval

    def _wait_interval(self: WaitFunction, env: Any, wait_seconds: int) -> None:
        if _current() is None:
            original_wait_interval(self, env, wait_seconds)
            return
        deadline = time.monotonic() + wait_seconds
        while env.is_running() and time.monotonic() < deadline:
            _park(None, deadline - time.monotonic(), lambda: not env.is_running())

    WaitFunction._wait_interval = _wait_interval  # type: ignore[method-assign]

    class _RetryClock:
        """``time`` for moto's retrier: its interval parks an execution on the pool, and sleeps elsewhere."""

        def __getattr__(self, name: str) -> Any:
            return getattr(time, name)

        @staticmethod
        def sleep(seconds: float) -> None:
            if _current() is None:
                time.sleep(seconds)
                return
            deadline = time.monotonic() + seconds
            while time.monotonic() < deadline:
                _park(None, deadline - time.monotonic(), lambda: False)

    retrier_decl.time = _RetryClock()  # type: ignore[assignment]
