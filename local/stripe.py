"""Stripe for the local stack: localstripe in a child process, and the bridge pointed at it.

``STRIPE_BRIDGE=true make run`` deploys the template with ``StripeBridge=true`` and, before that, starts
localstripe (a pure-Python stand-in for Stripe's API, in memory, from scratch) on a free loopback port; the
stack owns the child process and ends it on exit. The stack's secret gets a test key and ``STRIPE_API_BASE``
points the stripe package at localstripe (only the local stack sets it; the template never does).

    python -m local.stripe [--port N]    # localstripe alone, on 127.0.0.1 (what the stack starts)

localstripe models an older Stripe API (plans, invoices with ``charge``); it has no customer balance
transactions (a credit request fails there with Stripe's 404) and ignores idempotency keys (the bridge's own
look-up of what a ledger entry already did keeps a refund single). docs/platform.md, "Running with Stripe".
"""

from __future__ import annotations

import argparse
import atexit
import base64
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.error
import urllib.request
from collections.abc import Mapping
from dataclasses import dataclass, field
from pathlib import Path

ENABLE = "STRIPE_BRIDGE"  # STRIPE_BRIDGE=true make run
API_KEY = "sk_test_local_stack"  # what the stack's secret holds: localstripe takes any sk_ key
ROOT = Path(__file__).resolve().parent.parent


def wanted(env: Mapping[str, str] = os.environ) -> bool:
    """The bridge is asked for (``STRIPE_BRIDGE=true``)."""
    return env.get(ENABLE, "").strip().lower() == "true"


def available() -> bool:
    """localstripe is installed (requirements-dev.txt)."""
    import importlib.util

    return importlib.util.find_spec("localstripe") is not None


@dataclass
class LocalStripe:
    """A localstripe child process on 127.0.0.1:port."""

    port: int
    process: subprocess.Popen[bytes] = field(repr=False)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}"

    def stop(self) -> None:
        if self.process.poll() is None:
            self.process.terminate()
            try:
                self.process.wait(timeout=5)
            except subprocess.TimeoutExpired:
                self.process.kill()
                self.process.wait(timeout=5)

    def reset(self) -> None:
        """Forget every object (localstripe's ``DELETE /_config/data``)."""
        urllib.request.urlopen(urllib.request.Request(f"{self.url}/_config/data", method="DELETE"), timeout=5).read()


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _ready(url: str) -> bool:
    auth = base64.b64encode(f"{API_KEY}:".encode()).decode()
    request = urllib.request.Request(f"{url}/v1/customers?limit=1", headers={"Authorization": f"Basic {auth}"})
    try:
        with urllib.request.urlopen(request, timeout=1) as answer:
            return bool(answer.status == 200)
    except (urllib.error.URLError, OSError):
        return False


def start(port: int = 0, timeout: float = 20.0) -> LocalStripe:
    """localstripe on 127.0.0.1 (a free port unless named), ready; ended when this process exits."""
    port = port or _free_port()
    process = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "local.stripe", "--port", str(port), "--parent", str(os.getpid())],
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.DEVNULL,
    )
    running = LocalStripe(port, process)
    atexit.register(running.stop)
    deadline = time.monotonic() + timeout
    while not _ready(running.url):
        if process.poll() is not None:
            raise RuntimeError(f"localstripe exited with {process.returncode}")
        if time.monotonic() > deadline:
            running.stop()
            raise TimeoutError(f"localstripe did not answer on {running.url} within {timeout} s")
        time.sleep(0.05)
    return running


def attach(url: str) -> str:
    """Point the deployed stack's bridge at localstripe: the key into the secret the bridge reads
    (``STRIPE_SECRET_ARN``, the template's) and ``STRIPE_API_BASE``. Returns the secret's id."""
    from paid_invites import aws, config

    secret_id = os.environ.get("STRIPE_SECRET_ARN", "")
    if not secret_id:
        raise RuntimeError("the stack has no Stripe bridge (deploy it with StripeBridge=true)")
    secrets = aws.client("secretsmanager")
    try:
        secrets.create_secret(Name=secret_id, SecretString=API_KEY)
    except Exception as error:  # botocore's error classes are made at run time
        if aws.error_code(error) != "ResourceExistsException":
            raise
        secrets.put_secret_value(SecretId=secret_id, SecretString=API_KEY)
    os.environ["STRIPE_API_BASE"] = url
    config.reload()
    return secret_id


def serve(port: int, parent: int = 0) -> None:
    """localstripe's app on 127.0.0.1 only (its own command listens on every interface), from scratch; with a
    ``parent`` process id, it ends when that process has (however it ended: a killed stack runs no exit hook)."""
    from aiohttp import web
    from localstripe.server import app

    if parent:
        threading.Thread(target=_end_with, args=(parent,), name="parent-watch", daemon=True).start()
    web.run_app(app, host="127.0.0.1", port=port, access_log=None, print=None)


def _end_with(parent: int) -> None:
    while os.getppid() == parent:
        time.sleep(0.5)
    os._exit(0)


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(prog="python -m local.stripe", description=__doc__)
    parser.add_argument("--port", type=int, default=8420, help="port on 127.0.0.1 (default: localstripe's 8420)")
    parser.add_argument("--parent", type=int, default=0, help="end when this process (the local stack) has ended")
    args = parser.parse_args(argv)
    serve(args.port, args.parent)


if __name__ == "__main__":
    main()
