"""The local bridge imports a handler module as Lambda does."""

from __future__ import annotations

import os
import sys

import pytest

from local import bridge
from local.template import Template


def test_a_handler_module_is_imported_with_its_functions_environment(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given no stack has set the environment yet (a unit test, the OpenAPI build)
    fn = Template().functions()["SettleProrationFunction"]
    for name in ("POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE"):
        monkeypatch.delenv(name, raising=False)
    monkeypatch.delitem(sys.modules, f"lambda_{fn.logical_id}", raising=False)
    # When its handler module is loaded
    module = bridge.load_module(fn)
    # Then Powertools took the service name and the metrics namespace from the function's environment
    assert module.logger.service == fn.environment["POWERTOOLS_SERVICE_NAME"] == "paid-account-invites"
    assert module.metrics.namespace == fn.environment["POWERTOOLS_METRICS_NAMESPACE"]
    # and the process's environment is as it was
    assert "POWERTOOLS_SERVICE_NAME" not in os.environ and "POWERTOOLS_METRICS_NAMESPACE" not in os.environ
