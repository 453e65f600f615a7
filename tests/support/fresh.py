"""Running a script in a fresh interpreter of ours: for what only a first import shows (what a module loads,
reads or makes when it is imported), where this process has long imported everything."""

from __future__ import annotations

import json
import os
import subprocess
import sys
from typing import Any

from local.template import ROOT


def in_fresh_interpreter(script: str, *args: str, env: dict[str, str] | None = None, timeout: float = 240.0) -> Any:
    """Run ``script`` (``python -c``) with ``args`` in a new interpreter of ours, in the repository, with ``env``
    (this process's environment by default; TZ=UTC either way): the JSON value of its output's last line. A
    script that fails shows the end of its stderr."""
    done = subprocess.run(  # noqa: S603 - our own interpreter and script
        [sys.executable, "-c", script, *args],
        cwd=ROOT,
        env={**(os.environ if env is None else env), "TZ": "UTC"},
        capture_output=True,
        text=True,
        timeout=timeout,
        check=False,
    )
    assert done.returncode == 0, done.stderr[-3000:]
    return json.loads(done.stdout.strip().splitlines()[-1])
