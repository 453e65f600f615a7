"""Tracing: Lambda's active tracing by default, the X-Ray SDK only when subsegments are asked for.

Each case runs in a fresh interpreter, so that no other test's imports count: it deploys the template's stack
on moto (the functions' environment from the template's parameters), imports every function's handler, and
tells the whole story of one paid invitee (invite, e-mail, open, accept with a refund, settle, the inviter's
notice), then says which X-Ray SDK modules were loaded.
"""

from __future__ import annotations

import json
import os

import pytest

from local.template import ROOT

from ..support.fresh import in_fresh_interpreter

STORY = """
import json, sys
from moto import mock_aws
from local import bridge
from local.stack import MOTO_CONFIG, deploy, seed
from tests.conftest import NOW, seed_data
from tests.support import Api, finished, invitation_token

with mock_aws(config=MOTO_CONFIG):
    stack = deploy({"AcceptBaseUrl": "http://127.0.0.1:3000/invitations/accept", **json.loads(sys.argv[1])})
    stack.clock.set(NOW)
    seed(seed_data())
    for fn in stack.functions.values():
        bridge.handler_for(fn)
    api = Api.in_process(stack)
    invited = api.invite("u-arno", "acme", {"email": "jan@devries.example", "user_type": "licensed"})
    invitation_id = invited.json["results"][0]["invitation_id"]
    token = invitation_token("jan@devries.example")
    assert api.open_link(token).status == 200
    assert api.accept(token, "refund").status == 200
    assert finished(stack, invitation_id)["status"] == "SUCCEEDED"
    stack.stop_executions()
print(json.dumps(sorted(m for m in sys.modules if m.split(".")[0] == "aws_xray_sdk")))
"""


def story(**parameters: str) -> list[str]:
    """The X-Ray SDK modules loaded by one invitee's whole story on the stack deployed with ``parameters``, in a
    fresh interpreter."""
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    return list(in_fresh_interpreter(STORY, json.dumps(parameters), env=env))


@pytest.mark.slow
def test_with_the_default_parameters_no_function_loads_the_xray_sdk() -> None:
    # Given the template's defaults (TraceSubsegments "false")
    # When every handler is imported and one invitee's whole story runs through them
    loaded = story()
    # Then not one module of the X-Ray SDK was imported
    assert loaded == []


@pytest.mark.slow
def test_subsegments_asked_for_load_the_xray_sdk_and_the_story_still_runs() -> None:
    # Given the stack deployed with subsegments asked for
    # When the same story runs
    loaded = story(TraceSubsegments="true")
    # Then Powertools' Tracer was made on the X-Ray SDK
    assert "aws_xray_sdk.core" in loaded
