"""SnapStart, a deploy option for the two functions behind the API: the wiring with it on and off, and handler
modules that are safe to snapshot.

The wiring is checked on the SAM translator's output for each value of the ``SnapStart`` parameter (the
translator leaves ``Fn::If`` in place; the conditions are evaluated here as CloudFormation would).
Safe to snapshot: importing a handler module (Lambda's init, the part a snapshot keeps) makes no AWS client,
opens no connection and reads no clock or random source in our code; everything per-environment is made on
first use, after a restore.
"""

from __future__ import annotations

import json
import os
from functools import cache
from pathlib import Path
from typing import Any

import pytest

from local.template import ROOT, TEMPLATE

from ..support.fresh import in_fresh_interpreter
from .sam import _NoManagedPolicies, package

SNAPSTARTED = ("InviteFunction", "AcceptFunction")
ALIAS = "live"


@cache
def deployed(snapstart: str) -> dict[str, Any]:
    """The resources CloudFormation creates with ``SnapStart`` set to ``snapstart``, conditions evaluated."""
    from samtranslator.translator.transform import transform
    from samtranslator.yaml_helper import yaml_parse

    os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")
    packaged, _ = package(yaml_parse(TEMPLATE.read_text()))
    output = transform(packaged, {"SnapStart": snapstart}, _NoManagedPolicies())
    parameters = {name: p.get("Default") for name, p in output["Parameters"].items()} | {"SnapStart": snapstart}
    conditions: dict[str, bool] = {}

    def value(node: Any) -> Any:
        if isinstance(node, dict) and len(node) == 1:
            ((key, arg),) = node.items()
            if key == "Ref" and arg in parameters:
                return parameters[arg]
            if key == "Fn::Equals":
                return value(arg[0]) == value(arg[1])
            if key == "Fn::Not":
                return not value(arg[0])
            if key == "Fn::If":
                return value(arg[1] if holds(arg[0]) else arg[2])
            if key == "Fn::Sub" and isinstance(arg, str):
                for name, given in parameters.items():
                    arg = arg.replace(f"${{{name}}}", str(given))
                return {key: arg}
            return {key: value(arg)}
        if isinstance(node, dict):
            return {k: value(v) for k, v in node.items()}
        if isinstance(node, list):
            return [value(v) for v in node]
        return node

    def holds(name: str) -> bool:
        if name not in conditions:
            conditions[name] = bool(value(output["Conditions"][name]))
        return conditions[name]

    return {k: value(v) for k, v in output["Resources"].items() if "Condition" not in v or holds(v["Condition"])}


def of_type(resources: dict[str, Any], kind: str) -> dict[str, Any]:
    return {k: v for k, v in resources.items() if v["Type"] == kind}


@pytest.mark.parametrize(("snapstart", "apply_on"), [("true", "PublishedVersions"), ("false", "None")])
def test_snapstart_applies_to_the_published_versions_of_the_api_functions_only_when_asked_for(
    snapstart: str, apply_on: str
) -> None:
    # Given the stack deployed with the option on or off
    functions = of_type(deployed(snapstart), "AWS::Lambda::Function")
    # Then the invite and accept functions snapshot their published versions exactly when it is on
    for name in SNAPSTARTED:
        assert functions[name]["Properties"]["SnapStart"] == {"ApplyOn": apply_on}, name
    # and no other function has SnapStart
    others = {k for k, f in functions.items() if f["Properties"].get("SnapStart", {}).get("ApplyOn", "None") != "None"}
    assert not others - set(SNAPSTARTED)


@pytest.mark.parametrize("snapstart", ["true", "false"])
def test_api_gateway_calls_the_live_alias_of_a_published_version(snapstart: str) -> None:
    # Given the stack deployed with the option on or off
    resources = deployed(snapstart)
    versions = of_type(resources, "AWS::Lambda::Version")
    aliases = of_type(resources, "AWS::Lambda::Alias")
    (api,) = of_type(resources, "AWS::ApiGateway::RestApi").values()
    uris = [
        json.dumps(operation["x-amazon-apigateway-integration"]["uri"])
        for operations in api["Properties"]["Body"]["paths"].values()
        for method, operation in operations.items()
        if method != "options"
    ]
    permissions = of_type(resources, "AWS::Lambda::Permission")
    for name in SNAPSTARTED:
        # Then the function has one published version and the "live" alias on it
        (version_id,) = [k for k, v in versions.items() if v["Properties"]["FunctionName"] == {"Ref": name}]
        alias = aliases[f"{name}Alias{ALIAS}"]["Properties"]
        assert alias["Name"] == ALIAS
        assert alias["FunctionName"] == {"Ref": name}
        assert alias["FunctionVersion"] == {"Fn::GetAtt": [version_id, "Version"]}
        # and every route of the function goes to the alias, never to the unpublished $LATEST
        assert any(f"${{{name}Alias{ALIAS}}}" in uri for uri in uris), name
        assert not any(f"${{{name}.Arn}}" in uri for uri in uris), name
        # and API Gateway may invoke the alias (and only the alias)
        targets = [p["Properties"]["FunctionName"] for k, p in permissions.items() if k.startswith(name)]
        assert targets and all(t == {"Ref": f"{name}Alias{ALIAS}"} for t in targets), name


def test_switching_the_option_publishes_a_new_version() -> None:
    # Given the same code deployed with the option off, then on
    for name in SNAPSTARTED:
        off, on = (
            {k: v for k, v in of_type(deployed(s), "AWS::Lambda::Version").items() if k.startswith(name)}
            for s in ("false", "true")
        )
        # Then the version's properties differ, so CloudFormation replaces it: Lambda publishes a version with the
        # function's new configuration (a version keeps the SnapStart setting it was published with)
        assert [v["Properties"] for v in off.values()] != [v["Properties"] for v in on.values()], name
        # and the old version is kept (a rollback has it to go back to)
        assert all(v.get("DeletionPolicy") == "Retain" for v in [*off.values(), *on.values()]), name


def test_the_snapstarted_functions_use_nothing_snapstart_does_not_support() -> None:
    functions = of_type(deployed("true"), "AWS::Lambda::Function")
    for name in SNAPSTARTED:
        props = functions[name]["Properties"]
        runtime = props["Runtime"]
        assert runtime.startswith("python3.") and int(runtime.split(".")[1]) >= 12, name
        assert "FileSystemConfigs" not in props, name
        assert props.get("EphemeralStorage", {}).get("Size", 512) <= 512, name
    aliases = of_type(deployed("true"), "AWS::Lambda::Alias")
    assert not any("ProvisionedConcurrencyConfig" in a["Properties"] for a in aliases.values())


PROBE = r"""
import importlib.util, json, os, sys, socket, random, uuid, secrets, time, datetime
import botocore.session

ours = tuple(sys.argv[2:])
seen = []
watched_c = {
    (time, "time"), (time, "time_ns"), (time, "monotonic"), (time, "monotonic_ns"), (time, "perf_counter"),
    (time, "localtime"), (time, "gmtime"), (os, "urandom"), (os, "getrandom"), (random._inst, "random"),
    (random._inst, "getrandbits"), (datetime.datetime, "now"), (datetime.datetime, "utcnow"),
    (datetime.datetime, "today"), (datetime.date, "today"),
}
watched_c = {(id(owner), name) for owner, name in watched_c}
watched_py = {f.__code__ for f in (uuid.uuid1, uuid.uuid4, secrets.token_bytes, secrets.token_hex,
                                   secrets.token_urlsafe, secrets.randbelow, random.Random.seed)}

def mine(frame):
    return frame is not None and frame.f_code.co_filename.startswith(ours)

def profile(frame, event, arg):
    if event == "c_call":
        if (id(getattr(arg, "__self__", None)), getattr(arg, "__name__", "")) in watched_c and mine(frame):
            seen.append(f"{arg.__name__} at {frame.f_code.co_filename}:{frame.f_lineno}")
    elif event == "call" and frame.f_code in watched_py and mine(frame.f_back):
        seen.append(f"{frame.f_code.co_name} at {frame.f_back.f_code.co_filename}:{frame.f_back.f_lineno}")

made = []
create_client = botocore.session.Session.create_client
def counted_client(self, *a, **k):
    made.append(("client", a[:1]))
    return create_client(self, *a, **k)
botocore.session.Session.create_client = counted_client
connect = socket.socket.connect
socket.socket.connect = lambda self, *a: made.append(("connect", str(a[:1]))) or connect(self, *a)

spec = importlib.util.spec_from_file_location("handler_under_test", sys.argv[1])
module = importlib.util.module_from_spec(spec)
sys.setprofile(profile)
try:
    spec.loader.exec_module(module)
finally:
    sys.setprofile(None)
print(json.dumps({"readings": seen, "made": made}))
"""


def init_of(handler: Path, *ours: Path) -> dict[str, list[Any]]:
    """What importing ``handler`` in a fresh interpreter read (clock, random) in the ``ours`` files and made
    (AWS clients, connections) anywhere."""
    env = {**os.environ, "PYTHONPATH": os.pathsep.join([str(ROOT / "layers" / "core"), str(ROOT)])}
    env.pop("AWS_ENDPOINT_URL", None)
    return dict(in_fresh_interpreter(PROBE, str(handler), *map(str, ours), env=env, timeout=120))


@pytest.mark.parametrize("function", ["invite", "accept"])
def test_a_handlers_init_makes_nothing_a_restored_snapshot_would_share(function: str) -> None:
    # Given the handler module Lambda imports during init (what a snapshot keeps)
    handler = ROOT / "functions" / function / "app.py"
    # When it is imported
    init = init_of(handler, ROOT / "functions", ROOT / "layers" / "core" / "paid_invites")
    # Then no AWS client or connection was made, and our code read no clock and no random source
    assert init == {"readings": [], "made": []}


def test_the_init_probe_sees_a_clock_reading_a_random_value_and_a_client(tmp_path: Path) -> None:
    # Given a module that does at import what a snapshotted init must not
    bad = tmp_path / "app.py"
    bad.write_text(
        "import time, uuid, botocore.session\n"
        "STARTED = time.time()\n"
        "INSTANCE = uuid.uuid4()\n"
        "CLIENT = botocore.session.get_session().create_client('sts', region_name='us-east-1')\n"
    )
    # When the probe imports it
    init = init_of(bad, tmp_path)
    # Then it reports each of them
    assert [r.split(" ")[0] for r in init["readings"]] == ["time", "uuid4"]
    assert init["made"] == [["client", ["sts"]]]
