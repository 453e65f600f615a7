"""localstripe as the local stack runs it (local/stripe.py): on the loopback address only, and gone with the
process that started it, however that process ended."""

from __future__ import annotations

import subprocess
import sys
import time
from pathlib import Path

import pytest

from local import stripe as local_stripe
from local.template import ROOT

STARTER = """
import sys
from local import stripe
running = stripe.start()
print(running.url, running.process.pid, flush=True)
sys.stdin.read()  # until the test kills this process
"""


@pytest.fixture(autouse=True)
def installed() -> None:
    if not local_stripe.available():
        pytest.skip("localstripe is not installed (pip install -r requirements-dev.txt)")


def answers(url: str) -> bool:
    return local_stripe._ready(url)


def test_localstripe_ends_with_the_stack_that_started_it_even_when_that_is_killed() -> None:
    # Given a process (as the local stack) that started localstripe
    starter = subprocess.Popen(  # noqa: S603 - our own interpreter
        [sys.executable, "-c", STARTER], cwd=ROOT, stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    try:
        assert starter.stdout is not None
        url, pid = starter.stdout.readline().split()
        assert answers(url)
        # When that process is killed (no exit hook runs)
        starter.kill()
        starter.wait(timeout=10)
        # Then localstripe stops too, within a few seconds
        deadline = time.monotonic() + 10
        while answers(url) and time.monotonic() < deadline:
            time.sleep(0.2)
        assert not answers(url), f"localstripe (pid {pid}) outlived the process that started it"
    finally:
        if starter.poll() is None:
            starter.kill()


def listening(port: int) -> set[str]:
    """The local addresses a socket listens on at ``port`` (Linux: /proc/net/tcp and tcp6), as hex."""
    found = set()
    for table in ("/proc/net/tcp", "/proc/net/tcp6"):
        try:
            lines = Path(table).read_text().splitlines()[1:]
        except OSError:
            continue
        for line in lines:
            local, state = line.split()[1], line.split()[3]
            address, _, hex_port = local.partition(":")
            if state == "0A" and int(hex_port, 16) == port:  # 0A: LISTEN
                found.add(address)
    return found


def test_localstripe_listens_on_the_loopback_address_only() -> None:
    if not Path("/proc/net/tcp").exists():
        pytest.skip("no /proc/net/tcp to read the listening sockets from")
    running = local_stripe.start()
    try:
        # Then it listens on 127.0.0.1 and on no other address (localstripe's own command takes them all)
        assert answers(running.url)
        assert listening(running.port) == {"0100007F"}
    finally:
        running.stop()
    assert not answers(running.url)
