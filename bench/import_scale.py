"""The seed's own bulk size through the local stack: one 9,999-row CSV import of a paid organization.

    python -m bench.import_scale [--rows 9999]

Ours: the local stack exactly as ``make run`` starts it (``python -m local.server`` in a child process, the
template's defaults and the local stack's pacing: no parameter is changed), seeded with one paid organization
that has enough licenses. The admin uploads a CSV of ``--rows`` new people (licensed members); the import runs
its real workflow (Map of 100-row chunks, ImportRows, one invitation workflow each, every one of which e-mails
its invitee and then waits for acceptance). Timed from the upload until the import is completed, every
invitee's e-mail is in the local SES outbox and the organization lists every invitation as pending. The
server's threads and resident memory are sampled from /proc every half second meanwhile (peaks reported).
"""

from __future__ import annotations

import argparse
import json
import os
import sys
import tempfile
import threading
import time
import urllib.parse
import urllib.request
from dataclasses import dataclass
from typing import Any

ROWS = 9_999
TARGET_SECONDS = 15 * 60
TARGET_THREADS = 500
TARGET_RSS_MB = 1536
ORG, OWNER, ADMIN = "scale-org", "u-scale-owner", "u-scale-admin"


@dataclass
class ImportScale:
    rows: int
    seconds: float
    import_seconds: float
    peak_threads: int
    peak_rss_mb: float
    threads_at_end: int
    emails: int
    pending: int

    @property
    def ok(self) -> bool:
        return (
            self.seconds <= TARGET_SECONDS
            and self.peak_threads <= TARGET_THREADS
            and self.peak_rss_mb <= TARGET_RSS_MB
            and self.emails == self.pending == self.rows
        )


def seed(rows: int) -> dict[str, Any]:
    """One paid organization with a license for every row (and its owner and admin)."""
    organization = {"id": ORG, "name": "Scale B.V.", "type": "organization", "plan": "business", "currency": "EUR"}
    organization["licenses"] = rows + 10
    people = [(OWNER, "owner", "owner@scale.example"), (ADMIN, "admin", "admin@scale.example")]
    users = [
        {"id": i, "email": e, "name": i, "account_id": ORG, "role": r, "user_type": "licensed"} for i, r, e in people
    ]
    return {"accounts": [organization], "users": users, "invoices": []}


def csv(rows: int) -> str:
    return "email,first_name,last_name,user_type,role\r\n" + "".join(
        f"person{n}@scale.example,Person,{n},licensed,member\r\n" for n in range(1, rows + 1)
    )


class Sampler:
    """The server process's threads and resident memory from /proc, every half second."""

    def __init__(self, pid: int) -> None:
        self.pid, self.threads, self.rss_kb, self.last_threads = pid, 0, 0, 0
        self._stop = threading.Event()
        self._thread = threading.Thread(target=self._run, daemon=True)

    def sample(self) -> None:
        with open(f"/proc/{self.pid}/status") as f:
            for line in f:
                key, _, value = line.partition(":")
                if key == "Threads":
                    self.last_threads = int(value.split()[0])
                    self.threads = max(self.threads, self.last_threads)
                elif key == "VmRSS":
                    self.rss_kb = max(self.rss_kb, int(value.split()[0]))

    def _run(self) -> None:
        while not self._stop.wait(0.5):
            self.sample()

    def __enter__(self) -> Sampler:
        self._thread.start()
        return self

    def __exit__(self, *exc: object) -> None:
        self._stop.set()
        self._thread.join()
        self.sample()


def _request(front: str, method: str, path: str, token: str, body: bytes | None = None, **headers: str) -> Any:
    request = urllib.request.Request(  # noqa: S310 - our local stack, http
        front + path, data=body, method=method, headers={"Authorization": token, **headers}
    )
    with urllib.request.urlopen(request, timeout=300) as response:  # noqa: S310 - our local stack
        return json.loads(response.read())


def _pending(front: str, token: str) -> int:
    count, cursor = 0, None
    while True:
        query = "status=pending&limit=100" + (f"&cursor={urllib.parse.quote(cursor)}" if cursor else "")
        page = _request(front, "GET", f"/accounts/{ORG}/invitations?{query}", token)
        mine = [i for i in page["invitations"] if i["email"].endswith("@scale.example")]
        count += sum(1 for i in mine if i["status"] == "pending")
        cursor = page.get("next_cursor")
        if not cursor:
            return count


def _emails(front: str) -> int:
    with urllib.request.urlopen(front + "/_local/outbox", timeout=300) as response:  # noqa: S310
        outbox = json.loads(response.read())
    return len({m["to"] for m in outbox if str(m["to"]).startswith("person")})


def run(rows: int = ROWS, progress: Any = None) -> ImportScale:
    from local.server import free_port, started
    from tests.support import Api

    say = progress or (lambda message: None)
    with tempfile.NamedTemporaryFile("w", suffix=".json", delete=False) as f:
        json.dump(seed(rows), f)
    port, moto_port = free_port(), free_port()
    arguments = ["--port", str(port), "--moto-port", str(moto_port), "--seed", f.name]
    env = {k: v for k, v in os.environ.items() if not k.startswith(("AWS_", "MOTO_"))}
    with started(arguments, env, timeout=120, stop_timeout=20) as child:
        front = f"http://127.0.0.1:{port}"
        token = Api.over_http(front).id_token(ADMIN)
        with Sampler(child.pid) as sampler:
            began = time.monotonic()
            answer = _request(
                front,
                "POST",
                f"/accounts/{ORG}/invitations/imports",
                token,
                csv(rows).encode(),
                **{"Content-Type": "text/csv"},
            )
            path = f"/accounts/{ORG}/invitations/imports/{answer['id']}?limit=1"
            deadline = began + 3 * TARGET_SECONDS
            while (done := _request(front, "GET", path, token))["status"] == "running":
                if time.monotonic() > deadline:
                    raise TimeoutError(f"the import is still running after {deadline - began:.0f} s: {done}")
                say(f"import: {done['totals']}, {sampler.last_threads} threads, {sampler.rss_kb / 1024:.0f} MB")
                time.sleep(5)
            imported = time.monotonic() - began
            if done["status"] != "completed" or done["totals"]["created"] != rows:
                raise RuntimeError(f"the import ended {done['status']}: {done['totals']}")
            while (emails := _emails(front)) < rows and time.monotonic() < deadline:
                say(f"e-mails: {emails} of {rows}")
                time.sleep(5)
            seconds = time.monotonic() - began
            pending = _pending(front, token)
    return ImportScale(
        rows=rows,
        seconds=seconds,
        import_seconds=imported,
        peak_threads=sampler.threads,
        peak_rss_mb=sampler.rss_kb / 1024,
        threads_at_end=sampler.last_threads,
        emails=emails,
        pending=pending,
    )


def describe(result: ImportScale) -> str:
    return (
        f"{result.rows:,}-row import through the local stack: {result.seconds:.0f} s until completed, every e-mail "
        f"in the outbox ({result.emails:,}) and {result.pending:,} listed pending (the import itself "
        f"{result.import_seconds:.0f} s); server process: peak {result.peak_threads} threads "
        f"({result.threads_at_end} at the end), peak {result.peak_rss_mb:.0f} MB resident. Targets: <= "
        f"{TARGET_SECONDS // 60} min, <= {TARGET_THREADS} threads, <= {TARGET_RSS_MB / 1024:.1f} GB."
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--rows", type=int, default=ROWS)
    args = parser.parse_args(argv)

    def progress(message: str) -> None:
        print(f"[import_scale {time.strftime('%H:%M:%S')}] {message}", file=sys.stderr, flush=True)

    result = run(args.rows, progress)
    print(describe(result))
    return 0 if result.ok else 1


if __name__ == "__main__":
    sys.exit(main())
