"""Run the product on one machine: moto server + the template's stack + an API-Gateway-shaped HTTP front.

python -m local.server [--seed FILE] [--port 3000] [--moto-port 5000]

The HTTP front (the API, the console, /docs and the local-only /_local/* endpoints) listens on
http://127.0.0.1:PORT (3000). moto, the stack's AWS, answers the AWS API on http://127.0.0.1:MOTO_PORT
(5000), so the AWS CLI and boto3 look into the running stack's tables and executions, e.g.
  aws --endpoint-url http://127.0.0.1:5000 dynamodb scan --table-name InvitationsTable
(region us-east-1, account 123456789012, any credentials). Both listen on the loopback address only.
"""

from __future__ import annotations

import argparse
import base64
import contextlib
import json
import logging
import os
import socket
import subprocess
import sys
import threading
import time
import urllib.request
from collections.abc import Iterator
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from pathlib import Path
from typing import Any
from urllib.parse import urlsplit

from . import apidocs, apigw, bridge, cognito, console, jobs, managed_login, platform_bus, queues
from . import stripe as local_stripe
from .stack import MOTO_CONFIG, OUTBOX, Stack, deploy, seed

HERE = Path(__file__).resolve().parent
DEMO_SEED = HERE / "demo-seed.json"
MAX_BODY = 6 * 1024 * 1024  # API Gateway's payload limit is 10 MB; Lambda's is 6 MB
MOTO_PORT = 5000  # moto's own default: the port people's AWS tooling for moto already points at


def free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return int(s.getsockname()[1])


def _claim(port: int, what: str, option: str) -> None:
    """Stop with a clear message when something already listens on the port (moto's server thread would
    wait for ever, and a second stack would otherwise talk to the first one's moto)."""
    with socket.socket() as s:
        s.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
        try:
            s.bind(("127.0.0.1", port))
        except OSError as error:
            raise SystemExit(
                f"cannot serve {what} on 127.0.0.1:{port}: {error.strerror or error}. Is another local stack "
                f"running? Pass {option} with a free port (0: any free one)."
            ) from None


def start_moto(port: int) -> None:
    """moto's server on 127.0.0.1:port, in a thread of this process: it serves the backends this process's
    stack lives in, so what boto3 or the AWS CLI reads through it is the running stack itself. Like the local
    endpoints, it answers only requests for its own address: a web page whose name resolves to 127.0.0.1 (DNS
    rebinding) cannot read or change the tables through it."""
    from moto.moto_server.threaded_moto_server import MotoRequestHandler
    from moto.server import DomainDispatcherApplication, create_backend_app
    from werkzeug.serving import make_server

    _claim(port, "moto's AWS endpoint", "--moto-port")
    logging.getLogger("werkzeug").setLevel(logging.ERROR)  # moto's own access log
    os.environ.update(
        {
            "MOTO_PORT": str(port),  # moto's Step Functions interpreter calls Lambda here
            "AWS_ENDPOINT_URL": f"http://127.0.0.1:{port}",
            "AWS_ACCESS_KEY_ID": "local",
            "AWS_SECRET_ACCESS_KEY": "local",
            "AWS_DEFAULT_REGION": "us-east-1",
            "AWS_REGION": "us-east-1",
        }
    )
    moto = DomainDispatcherApplication(create_backend_app)
    own = local_hosts(port)

    def own_host_only(environ: dict[str, Any], start_response: Any) -> Any:
        if environ.get("HTTP_HOST", "").strip().lower() not in own:
            start_response("403 Forbidden", [("Content-Type", "application/json")])
            return [json.dumps(_forbidden_host()).encode()]
        return moto(environ, start_response)

    server = make_server("127.0.0.1", port, own_host_only, threaded=True, request_handler=MotoRequestHandler)
    threading.Thread(target=server.serve_forever, name="moto", daemon=True).start()
    request = urllib.request.Request(
        f"http://127.0.0.1:{port}/moto-api/config", data=json.dumps(MOTO_CONFIG).encode(), method="POST"
    )
    urllib.request.urlopen(request, timeout=10).read()


class Server(ThreadingHTTPServer):
    """One thread per request; a listen backlog of 128 (socketserver's 5 resets connections when 20 clients
    connect at once)."""

    request_queue_size = 128
    daemon_threads = True


def local_hosts(port: int) -> frozenset[str]:
    """The Host headers of requests for the local stack itself (its loopback addresses, with its port)."""
    return frozenset(f"{host}:{port}" for host in ("127.0.0.1", "localhost", "[::1]"))


class Front(BaseHTTPRequestHandler):
    stack: Stack
    protocol_version = "HTTP/1.1"

    def log_message(self, format: str, *args: Any) -> None:
        if os.environ.get("LOCAL_ACCESS_LOG"):
            super().log_message(format, *args)

    def _send(self, status: int, body: bytes, headers: dict[str, str], cookies: list[str] | None = None) -> None:
        self.send_response(status)
        for key, value in headers.items():
            self.send_header(key, value)
        for cookie in cookies or []:  # one header each, as API Gateway sends multiValueHeaders' Set-Cookie
            self.send_header("Set-Cookie", cookie)
        self.send_header("Content-Length", str(len(body)))
        self.end_headers()
        self.wfile.write(body)

    def _json(self, status: int, value: Any) -> None:
        self._send(status, json.dumps(value, indent=1).encode(), {"Content-Type": "application/json"})

    def _handle(self) -> None:
        url = urlsplit(self.path)
        length = int(self.headers.get("Content-Length") or 0)
        if length > MAX_BODY:
            self._json(413, {"message": "Request Too Long"})
            return
        body = self.rfile.read(length) if length else b""
        if url.path.startswith("/_local/") and not self._for_this_host():
            self._json(403, _forbidden_host())
            return
        page = apidocs.handle(self.command, url.path) or console.handle(self.command, url.path, url.query)
        if page is not None:
            self._send(*page)
            return
        if url.path.startswith("/_local/"):
            signed = managed_login.handle(self.command, url.path, url.query, body)  # sign-in, managed login
            if signed is not None:
                self._send(*signed)
                return
            self._local(url.path, body)
            return
        route, params, known = apigw.match(self.stack.routes, self.command, url.path)
        if route is None:
            self._json(
                405 if known else 404,
                {"message": "Missing Authentication Token" if not known else "Method Not Allowed"},
            )
            return
        headers = {k: v for k, v in self.headers.items()}
        if not route.public and apigw.authorize(headers) is None:  # API Gateway's Cognito authorizer: 401
            response = apigw.unauthorized()
        else:
            event = apigw.event(route, self.command, url.path, params, url.query, headers, body)
            try:
                response = bridge.invoke(self.stack.functions[route.function], event)
            except Exception:  # what API Gateway answers when the function fails: 502
                logging.getLogger("local.server").exception("%s %s: the function failed", self.command, url.path)
                response = {"statusCode": 502, "body": '{"message": "Internal server error"}'}
        out = response.get("body") or ""
        raw = out.encode() if not response.get("isBase64Encoded") else base64.b64decode(out)
        headers = apigw.response_headers(response)
        headers.pop("Set-Cookie", None)
        self._send(int(response.get("statusCode", 502)), raw, headers, apigw.set_cookies(response))

    def _for_this_host(self) -> bool:
        """The request names this server as its host. /_local/* (the outbox holds live invitation links, the
        clock and the job move the stack) answer nobody else: a web page the developer visits whose name
        resolves to 127.0.0.1 (DNS rebinding) sends its own name as the Host and cannot read them."""
        port = self.server.server_address[1]  # type: ignore[index]  # (host, port) for a TCP server
        return (self.headers.get("Host") or "").strip().lower() in local_hosts(int(port))

    def _local(self, path: str, body: bytes) -> None:
        answer = jobs.handle(self.stack, self.command, path, body)  # the clock, the scheduled job, SES events
        if answer is not None:
            self._json(*answer)
            return
        if path == "/_local/outbox" and self.command == "GET":
            self._json(200, OUTBOX.messages)
        elif path == "/_local/events" and self.command == "GET":
            self._json(200, self.stack.settlement_events())
        elif path == "/_local/platform-events":  # the platform's events, put on its bus (local/platform_bus.py)
            self._json(*platform_bus.handle(self.stack, self.command, body))
        elif path == "/_local/health":
            self._json(200, {"ok": True, "aws_endpoint": os.environ.get("AWS_ENDPOINT_URL")})
        else:
            self._json(404, {"message": "no such local endpoint"})

    do_GET = do_POST = do_DELETE = do_PUT = do_PATCH = _handle  # noqa: N815


def _forbidden_host() -> dict[str, Any]:
    message = "the local endpoints answer requests for this stack's own address only (127.0.0.1, localhost, [::1])"
    return {"error": {"code": "forbidden_host", "message": message, "details": {}}}


def serve(port: int, moto_port: int, seed_file: Path, parameters: dict[str, str]) -> Server:
    _claim(port, "the HTTP front", "--port")
    start_moto(moto_port)
    # STRIPE_BRIDGE=true (or --parameter StripeBridge=true): the Stripe bridge on localstripe (local/stripe.py)
    stripe_bridge = local_stripe.wanted() or parameters.get("StripeBridge") == "true"
    if stripe_bridge:
        parameters = {**parameters, "StripeBridge": "true"}
        running = local_stripe.start()  # a child process of this one, ended when it exits
    stack = deploy(
        {
            "AcceptBaseUrl": f"http://127.0.0.1:{port}/invitations/accept",
            "CognitoDomain": f"http://127.0.0.1:{port}/_local/cognito",
            **parameters,
        }
    )
    if stripe_bridge:
        local_stripe.attach(running.url)
        print(f"  Stripe bridge on: localstripe at {running.url}", flush=True)
    seed(json.loads(seed_file.read_text()))
    queues.Poller(stack.drain).start()  # the functions' queues (and every other local trigger), polled
    Front.stack = stack
    return Server(("127.0.0.1", port), Front)


@contextlib.contextmanager
def launched(
    seed_file: Path = DEMO_SEED, port: int = 0, timeout: float = 60.0, parameters: dict[str, str] | None = None
) -> Iterator[str]:
    """Start the local stack in a child process (as `make run` does, on free ports so that it runs beside
    another) and yield its base URL (``GET /_local/health`` names its AWS endpoint). ``parameters``
    override template parameters (``--parameter``)."""
    port = port or free_port()
    arguments = ["--port", str(port), "--seed", str(seed_file), "--moto-port", str(free_port())]
    arguments += [f"--parameter={name}={value}" for name, value in (parameters or {}).items()]
    with started(arguments, {**os.environ, cognito.TRUST_SETTING: "1"}, timeout):
        yield f"http://127.0.0.1:{port}"


@contextlib.contextmanager
def started(
    arguments: list[str], env: dict[str, str], timeout: float, stop_timeout: float = 10.0
) -> Iterator[subprocess.Popen[str]]:
    """``python -m local.server`` with these arguments in a child process, once it says it is ready; it is
    terminated when the block ends (killed if it has not stopped after ``stop_timeout`` seconds)."""
    child = subprocess.Popen(  # noqa: S603 - our own interpreter and module
        [sys.executable, "-m", "local.server", *arguments],
        cwd=HERE.parent,
        env={**env, "TZ": "UTC", "PYTHONUNBUFFERED": "1"},
        stdout=subprocess.PIPE,
        stderr=subprocess.STDOUT,
        text=True,
    )
    try:
        deadline = time.monotonic() + timeout
        assert child.stdout is not None
        for line in child.stdout:
            if "local stack ready" in line:
                break
            if time.monotonic() > deadline:
                raise TimeoutError("the local stack did not start in time")
        else:
            raise RuntimeError(f"the local stack exited with {child.wait()}")
        # keep draining its output so that it never blocks on a full pipe
        threading.Thread(target=lambda: [None for _ in child.stdout or []], daemon=True).start()
        yield child
    finally:
        child.terminate()
        try:
            child.wait(timeout=stop_timeout)
        except subprocess.TimeoutExpired:
            child.kill()


def main(argv: list[str] | None = None) -> None:
    parser = argparse.ArgumentParser(
        prog="python -m local.server", description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter
    )
    parser.add_argument("--seed", type=Path, default=DEMO_SEED, help="seed data (accounts, users, invoices) as JSON")
    parser.add_argument(
        "--port",
        type=int,
        default=int(os.environ.get("PORT", "3000")),
        help="port of the HTTP front: the API, the console, /docs, /_local/* (default: $PORT or 3000)",
    )
    parser.add_argument(
        "--moto-port",
        type=int,
        default=MOTO_PORT,
        help=f"port of moto's AWS endpoint, for the AWS CLI and boto3 (default: {MOTO_PORT}; 0: any free one)",
    )
    parser.add_argument(
        "--parameter", action="append", default=[], metavar="NAME=VALUE", help="override a template.yaml parameter"
    )
    args = parser.parse_args(argv)
    os.environ.setdefault("TZ", "UTC")
    # this process is the local stack: it trusts the ID tokens moto signs with the key in its package
    os.environ.setdefault(cognito.TRUST_SETTING, "1")
    parameters = dict(p.split("=", 1) for p in args.parameter)
    moto_port = args.moto_port or free_port()
    server = serve(args.port, moto_port, args.seed, parameters)
    endpoint = f"http://127.0.0.1:{moto_port}"
    print(f"paid-account-invites local stack ready on http://127.0.0.1:{args.port}", flush=True)
    print(f"  seed: {args.seed}", flush=True)
    print(f"  outbox: http://127.0.0.1:{args.port}/_local/outbox", flush=True)
    print(
        f"  sign in: curl -s -X POST http://127.0.0.1:{args.port}/_local/sign-in -d "
        f'\'{{"email": "...", "password": "{cognito.DEFAULT_PASSWORD}"}}\' (the seed users\' default)',
        flush=True,
    )
    print(f"  console: http://127.0.0.1:{args.port}/", flush=True)
    print(f"  API docs: http://127.0.0.1:{args.port}/docs (OpenAPI: /openapi.json)", flush=True)
    print(f"  AWS endpoint (moto): {endpoint} (region us-east-1, any credentials), e.g.", flush=True)
    print(f"    aws --endpoint-url {endpoint} dynamodb scan --table-name InvitationsTable", flush=True)
    try:
        server.serve_forever()
    except KeyboardInterrupt:
        print("stopped", file=sys.stderr)


if __name__ == "__main__":
    main()
