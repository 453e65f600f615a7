"""What CloudFormation will deploy, checked offline on the SAM translator's output (see sam.py)."""

from __future__ import annotations

import ast
import json
import re
from dataclasses import MISSING, fields
from typing import Any

import pytest

from local.template import Template, substitute
from paid_invites.config import Settings
from paid_invites.store.import_records import ImportChunkModel, ImportModel
from paid_invites.store.models import MODELS
from paid_invites.usecases.sweep import RunReport

from .sam import PLACEHOLDER, Transformed, transformed

# The "*" resources AWS leaves us, each with the reason it cannot be narrower.
STAR_ALLOWED = {
    # X-Ray has no resource-level permissions
    "xray:PutTraceSegments",
    "xray:PutTelemetryRecords",
    # Step Functions' log delivery to CloudWatch Logs: these actions take no resource narrower than "*"
    "logs:CreateLogDelivery",
    "logs:GetLogDelivery",
    "logs:UpdateLogDelivery",
    "logs:DeleteLogDelivery",
    "logs:ListLogDeliveries",
    "logs:PutResourcePolicy",
    "logs:DescribeResourcePolicies",
    "logs:DescribeLogGroups",
}
# AWS-managed policies, and the only roles that may carry them ("state machines": the roles SAM makes for them).
MANAGED_ALLOWED = {
    "AWSXrayWriteOnlyAccess": "state machines",  # SAM adds it for Tracing; X-Ray only, see above
    "AmazonAPIGatewayPushToCloudWatchLogs": "ApiGatewayCloudWatchRole",  # the account-wide API logging role
}


@pytest.fixture(scope="module")
def sam() -> Transformed:
    return transformed()


def lambda_functions(sam: Transformed) -> dict[str, dict[str, Any]]:
    return sam.resources("AWS::Lambda::Function")


def env(function: dict[str, Any]) -> dict[str, Any]:
    return dict(function["Properties"].get("Environment", {}).get("Variables", {}))


def as_list(value: Any) -> list[Any]:
    return value if isinstance(value, list) else [value]


def statements(role: dict[str, Any]) -> list[dict[str, Any]]:
    found = []
    for policy in role["Properties"].get("Policies", []):
        found += as_list(policy["PolicyDocument"]["Statement"])
    return found


# ------------------------------------------------------------------ functions


def test_every_function_handler_file_exists_and_defines_the_handler(sam: Transformed) -> None:
    # Given every function CloudFormation will create
    functions = lambda_functions(sam)
    assert functions, "the translator produced no functions"
    for logical_id, fn in functions.items():
        # When we follow its Handler into the folder `sam package` uploads for it
        module, _, attribute = fn["Properties"]["Handler"].rpartition(".")
        path = sam.local_paths[logical_id] / f"{module.replace('.', '/')}.py"
        # Then the file is there and defines that function
        assert path.is_file(), f"{logical_id}: no {path}"
        tree = ast.parse(path.read_text())
        defined = {node.name for node in tree.body if isinstance(node, ast.FunctionDef)}
        assert attribute in defined, f"{logical_id}: {path} defines no {attribute}()"


def test_every_function_runs_on_arm64_python312_or_newer_traced_with_both_layers(sam: Transformed) -> None:
    for logical_id, fn in lambda_functions(sam).items():
        props = fn["Properties"]
        version = re.fullmatch(r"python3\.(\d+)", props["Runtime"])
        assert version and int(version.group(1)) >= 12, f"{logical_id}: {props['Runtime']}"
        assert props["Architectures"] == ["arm64"], logical_id
        assert props["TracingConfig"] == {"Mode": "Active"}, logical_id
        layers = json.dumps(props["Layers"])
        assert "CoreLayer" in layers, f"{logical_id}: not on our layer"
        assert "{{resolve:ssm:/aws/service/powertools/python/arm64/" in layers, f"{logical_id}: no Powertools layer"


def test_memory_and_timeout_are_chosen_for_each_function(sam: Transformed) -> None:
    # Set on the function itself, not inherited: each one is a decision about that function
    for logical_id, fn in sam.source_resources("AWS::Serverless::Function").items():
        props = fn["Properties"]
        assert isinstance(props.get("MemorySize"), int), f"{logical_id}: no MemorySize of its own"
        assert isinstance(props.get("Timeout"), int), f"{logical_id}: no Timeout of its own"
        if logical_id in {e["FunctionId"] for e in api_events(sam)}:
            assert props["Timeout"] < 29, f"{logical_id}: API Gateway gives up after 29 s"


def test_powertools_is_configured_and_keeps_responses_out_of_traces(sam: Transformed) -> None:
    for logical_id, fn in lambda_functions(sam).items():
        variables = env(fn)
        for name in ("POWERTOOLS_SERVICE_NAME", "POWERTOOLS_METRICS_NAMESPACE", "POWERTOOLS_LOG_LEVEL"):
            assert variables.get(name), f"{logical_id}: {name} not set"
        assert variables.get("POWERTOOLS_TRACER_CAPTURE_RESPONSE") == "false", logical_id


def test_active_tracing_on_every_function_and_sdk_subsegments_only_when_asked_for(sam: Transformed) -> None:
    # Given the parameter that asks for X-Ray SDK subsegments, off unless the deployer turns it on
    parameter = sam.source["Parameters"]["TraceSubsegments"]
    assert parameter["Default"] == "false" and sorted(parameter["AllowedValues"]) == ["false", "true"]
    # Then every function traces actively (Lambda records its segment) and reads the choice from its environment
    for logical_id, fn in lambda_functions(sam).items():
        assert fn["Properties"].get("TracingConfig") == {"Mode": "Active"}, logical_id
        assert env(fn).get("TRACE_SUBSEGMENTS") == {"Ref": "TraceSubsegments"}, logical_id


def test_the_settings_every_function_needs_are_set_on_each(sam: Transformed) -> None:
    # Given the settings the code cannot start without (no default in paid_invites.config.Settings)
    required = {f.name.upper() for f in fields(Settings) if f.default is MISSING}
    assert required, "Settings has no required fields any more: this test checks nothing"
    # Then every function has each of them in its environment
    for logical_id, fn in lambda_functions(sam).items():
        missing = required - set(env(fn))
        assert not missing, f"{logical_id} lacks {sorted(missing)}"


def test_no_function_sets_a_variable_the_code_does_not_know(sam: Transformed) -> None:
    # A typo in the template (or a setting renamed in the code) leaves the code on its default
    known = {f.name.upper() for f in fields(Settings)}
    libraries = ("POWERTOOLS_", "PYDANTIC_")  # read by Powertools and pydantic themselves
    for logical_id, fn in lambda_functions(sam).items():
        unknown = {k for k in env(fn) if not k.startswith(libraries) and k not in known}
        assert not unknown, f"{logical_id} sets {sorted(unknown)}, which paid_invites.config.Settings does not read"


# ------------------------------------------------------------------ state machine


def state_machines(sam: Transformed) -> dict[str, dict[str, Any]]:
    machines = {k: v["Properties"] for k, v in sam.resources("AWS::StepFunctions::StateMachine").items()}
    assert machines, "no state machine"
    return machines


def definition_text(sam: Transformed, logical_id: str) -> str:
    return sam.local_paths[logical_id].read_text()


def all_states(states: dict[str, Any]) -> dict[str, dict[str, Any]]:
    found = dict(states)
    for state in states.values():
        for branch in state.get("Branches", []):
            found.update(all_states(branch["States"]))
        for key in ("Iterator", "ItemProcessor"):
            if key in state:
                found.update(all_states(state[key]["States"]))
    return found


def test_every_placeholder_in_the_asl_has_a_substitution_and_none_is_unused(sam: Transformed) -> None:
    for logical_id, props in state_machines(sam).items():
        placeholders = set(PLACEHOLDER.findall(definition_text(sam, logical_id)))
        substitutions = set(props.get("DefinitionSubstitutions", {}))
        assert placeholders - substitutions == set(), f"{logical_id}: placeholders without a substitution"
        assert substitutions - placeholders == set(), f"{logical_id}: substitutions the ASL does not use"


def test_every_arn_the_asl_names_comes_through_a_substitution(sam: Transformed) -> None:
    # Service integrations (arn:aws:states:::...) are not resources of ours; anything else must be substituted
    for logical_id in state_machines(sam):
        arns = re.findall(r"arn:[^\"\s]+", definition_text(sam, logical_id))
        assert [a for a in arns if not a.startswith("arn:aws:states:::")] == [], logical_id


def substituted(sam: Transformed, logical_id: str) -> dict[str, Any]:
    """The definition as Step Functions gets it (every placeholder replaced; numbers stay numbers)."""
    source = sam.source["Resources"][logical_id]["Properties"]
    local = Template()
    values = {k: str(local.resolve(v)) for k, v in source.get("DefinitionSubstitutions", {}).items()}
    return dict(json.loads(substitute(definition_text(sam, logical_id), values)))


def test_every_task_state_retries_and_catches(sam: Transformed) -> None:
    for logical_id in state_machines(sam):
        states = all_states(substituted(sam, logical_id)["States"])
        tasks = {name: s for name, s in states.items() if s["Type"] == "Task"}
        assert tasks, logical_id
        for name, task in tasks.items():
            assert task.get("Retry"), f"{logical_id}.{name} has no Retry"
            assert task.get("Catch"), f"{logical_id}.{name} has no Catch"
            caught = any("States.ALL" in c["ErrorEquals"] for c in task["Catch"])
            assert caught, f"{logical_id}.{name}: an error escapes its Catch"


def test_state_machines_are_standard_traced_and_log_without_execution_data(sam: Transformed) -> None:
    for logical_id, props in state_machines(sam).items():
        assert props.get("StateMachineType", "STANDARD") == "STANDARD", logical_id
        logging = props["LoggingConfiguration"]
        assert logging["Level"] in ("ERROR", "ALL"), logical_id
        assert logging["IncludeExecutionData"] is False, logical_id  # inputs hold task tokens and addresses
        assert logging["Destinations"], logical_id
        assert props["TracingConfiguration"] == {"Enabled": True}, logical_id


# ------------------------------------------------------------------ tables


def test_tables_are_on_demand_recoverable_encrypted_and_protected_on_a_parameter(sam: Transformed) -> None:
    tables = sam.resources("AWS::DynamoDB::Table")
    assert tables
    for logical_id, table in tables.items():
        props = table["Properties"]
        assert props["BillingMode"] == "PAY_PER_REQUEST", logical_id
        assert props["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}, logical_id
        assert props["SSESpecification"]["SSEEnabled"] is True, logical_id
        assert props["DeletionProtectionEnabled"] == {"Fn::If": ["ProtectData", True, False]}, logical_id
        assert table["DeletionPolicy"] == {"Fn::If": ["ProtectData", "Retain", "Delete"]}, logical_id
        assert table["UpdateReplacePolicy"] == {"Fn::If": ["ProtectData", "Retain", "Delete"]}, logical_id


def table_of_setting(sam: Transformed) -> dict[str, str]:
    """paid_invites.config field (e.g. invitations_table) -> the table's logical id, from the environment."""
    found = {}
    for variables in (env(fn) for fn in lambda_functions(sam).values()):
        for name, value in variables.items():
            if isinstance(value, dict) and "Ref" in value and name.lower().endswith("_table"):
                found[name.lower()] = value["Ref"]
    return found


def key_schema(hash_key: str | None, range_key: str | None) -> list[dict[str, str]]:
    keys = [{"AttributeName": hash_key, "KeyType": "HASH"}]
    if range_key:
        keys.append({"AttributeName": range_key, "KeyType": "RANGE"})
    return keys


def test_tables_have_the_keys_the_models_use_and_exactly_the_indexes_they_query(sam: Transformed) -> None:
    tables = sam.resources("AWS::DynamoDB::Table")
    for setting, models in {**MODELS, "imports_table": [ImportModel, ImportChunkModel]}.items():
        # Given the models stored in one table
        logical_id = table_of_setting(sam)[setting]
        props = tables[logical_id]["Properties"]
        # Then the table's key is theirs
        for model in models:
            expected = key_schema(model._hash_keyname, model._range_keyname)  # type: ignore[attr-defined]
            assert props["KeySchema"] == expected, f"{logical_id} / {model.__name__}"
        # and its indexes are the models' indexes, with the same keys, and no other
        wanted = {}
        for model in models:
            for index in model._indexes.values():  # type: ignore[attr-defined]
                meta = index.Meta
                hash_key = next(a.attr_name for a in meta.attributes.values() if a.is_hash_key)
                range_key = next((a.attr_name for a in meta.attributes.values() if a.is_range_key), None)
                wanted[meta.index_name] = key_schema(hash_key, range_key)
        declared = {i["IndexName"]: i["KeySchema"] for i in props.get("GlobalSecondaryIndexes", [])}
        assert declared == wanted, logical_id
        # with the same projections
        projected = {
            index.Meta.index_name: {
                "ProjectionType": index.Meta.projection.projection_type,
                **({"NonKeyAttributes": index.Meta.projection.non_key_attributes}
                   if getattr(index.Meta.projection, "non_key_attributes", None) else {}),
            }
            for model in models
            for index in model._indexes.values()  # type: ignore[attr-defined]
        }  # fmt: skip
        assert {i["IndexName"]: i["Projection"] for i in props.get("GlobalSecondaryIndexes", [])} == projected
        # and it defines the attributes of those keys and nothing more
        keyed = {k["AttributeName"] for k in props["KeySchema"]} | {
            k["AttributeName"] for keys in declared.values() for k in keys
        }
        assert {a["AttributeName"] for a in props["AttributeDefinitions"]} == keyed, logical_id


# ------------------------------------------------------------------ API


def api_events(sam: Transformed) -> list[dict[str, Any]]:
    found = []
    for logical_id, fn in sam.source_resources("AWS::Serverless::Function").items():
        for event in fn["Properties"].get("Events", {}).values():
            if event["Type"] == "Api":
                found.append({"FunctionId": logical_id, **event["Properties"]})
    return found


def served_routes(sam: Transformed) -> dict[tuple[str, str], dict[str, Any]]:
    (api,) = sam.resources("AWS::ApiGateway::RestApi").values()
    paths = api["Properties"]["Body"]["paths"]
    return {
        (method.upper(), path): operation
        for path, operations in paths.items()
        for method, operation in operations.items()
        if method != "options"  # the CORS preflight SAM adds for every path
    }


def secured(operation: dict[str, Any]) -> bool:
    return operation.get("security") not in (None, [], [{"NONE": []}])


def test_the_local_stack_serves_exactly_the_routes_api_gateway_will(sam: Transformed) -> None:
    # Given the routes of the deployed REST API and those the local stack serves
    deployed = served_routes(sam)
    local = {(r.method, r.path): r for r in Template().routes()}
    # Then they are the same routes
    assert set(local) == set(deployed)
    for key, route in local.items():
        # to the same function (or its published alias)
        uri = json.dumps(deployed[key]["x-amazon-apigateway-integration"]["uri"])
        assert f"${{{route.function}.Arn}}" in uri or f"${{{route.function}Alias" in uri, key
        # and public exactly where API Gateway asks for no token
        assert route.public == (not secured(deployed[key])), key


def test_admin_routes_take_cognito_tokens_and_the_accept_link_is_public(sam: Transformed) -> None:
    (api,) = sam.resources("AWS::ApiGateway::RestApi").values()
    schemes = api["Properties"]["Body"]["securityDefinitions"]
    assert schemes["CognitoAuthorizer"]["x-amazon-apigateway-authtype"] == "cognito_user_pools"
    for (method, path), operation in served_routes(sam).items():
        if path.startswith("/invitations/accept"):
            assert not secured(operation), (method, path)
        else:
            assert operation.get("security") == [{"CognitoAuthorizer": []}], (method, path)


def test_the_stage_throttles_traces_and_writes_json_access_logs_without_the_query(sam: Transformed) -> None:
    (stage,) = sam.resources("AWS::ApiGateway::Stage").values()
    props = stage["Properties"]
    assert props["TracingEnabled"] is True
    (default,) = [m for m in props["MethodSettings"] if (m["ResourcePath"], m["HttpMethod"]) == ("/*", "*")]
    assert "ThrottlingRateLimit" in default and "ThrottlingBurstLimit" in default
    log_format = props["AccessLogSetting"]["Format"]
    line = json.loads(re.sub(r"\$context\.[A-Za-z.]+", "x", log_format))
    assert {"requestId", "status", "resourcePath", "ip"} <= set(line)
    # the accept link carries its token in the query string: never log it
    assert "querystring" not in log_format.lower() and "$context.path" not in log_format


def test_the_request_model_says_what_the_contract_says(sam: Transformed) -> None:
    from paid_invites.contract import InviteRequest

    # Given the body model API Gateway validates and the pydantic model the function validates
    (api,) = sam.source_resources("AWS::Serverless::Api").values()
    model = api["Properties"]["Models"]["InviteRequest"]
    schema = InviteRequest.model_json_schema()
    invitee = schema["$defs"][schema["properties"]["invitees"]["items"]["$ref"].rsplit("/", 1)[1]]
    # Then they allow the same fields, require the same ones and bound them alike
    assert model["required"] == schema["required"]
    invitees = model["properties"]["invitees"]
    assert (invitees["minItems"], invitees["maxItems"]) == (
        schema["properties"]["invitees"]["minItems"],
        schema["properties"]["invitees"]["maxItems"],
    )
    items = invitees["items"]
    assert model["additionalProperties"] is False and items["additionalProperties"] is False
    assert set(items["properties"]) == set(invitee["properties"])
    assert set(items.get("required", [])) == set(invitee.get("required", []))
    for name, field in invitee["properties"].items():
        assert items["properties"][name].get("maxLength") == field.get("maxLength"), name
        assert items["properties"][name].get("enum") == field.get("enum"), name
    # and the route that takes that body validates it
    (event,) = [e for e in api_events(sam) if e.get("RequestModel")]
    assert event["RequestModel"]["Model"] == "InviteRequest" and event["RequestModel"]["ValidateBody"] is True


def test_cors_allows_only_the_frontend_origin_also_on_api_gateways_own_errors(sam: Transformed) -> None:
    (api,) = sam.source_resources("AWS::Serverless::Api").values()
    origin = {"Fn::Sub": "'${FrontendOrigin}'"}
    assert api["Properties"]["Cors"]["AllowOrigin"] == origin
    responses = api["Properties"]["GatewayResponses"]
    for kind in ("DEFAULT_4XX", "DEFAULT_5XX"):
        assert responses[kind]["ResponseParameters"]["Headers"]["Access-Control-Allow-Origin"] == origin


def test_the_answers_api_gateway_gives_itself_have_the_apis_error_shape(sam: Transformed) -> None:
    # Given the gateway responses whose body the template writes (the authorizer's 401, a body the model refuses)
    (api,) = sam.source_resources("AWS::Serverless::Api").values()
    written = {
        kind: response["ResponseTemplates"]["application/json"]
        for kind, response in api["Properties"]["GatewayResponses"].items()
        if "ResponseTemplates" in response
    }
    assert written, "no gateway response writes a body: this test checks nothing"
    for kind, body in written.items():
        # Then each is {"error": {"code", "message", "details"}} (the message may be API Gateway's own text)
        shaped = json.loads(body.replace("$context.error.messageString", '"the gateway\'s message"'))
        assert set(shaped) == {"error"} and set(shaped["error"]) == {"code", "message", "details"}, kind
        assert shaped["error"]["code"] and shaped["error"]["details"] == {}, kind


# ------------------------------------------------------------------ IAM


def role_of(fn: dict[str, Any]) -> str:
    role = fn["Properties"]["Role"]
    assert isinstance(role, dict) and "Fn::GetAtt" in role, f"role is not one of the stack's: {role}"
    return str(role["Fn::GetAtt"][0])


def test_each_function_has_a_role_of_its_own_and_no_policies_sam_would_ignore(sam: Transformed) -> None:
    roles = {}
    for logical_id, fn in sam.source_resources("AWS::Serverless::Function").items():
        # SAM silently drops Policies when a function names its Role
        assert "Policies" not in fn["Properties"], f"{logical_id}: put these into its role"
        roles[logical_id] = role_of(fn)
    assert len(set(roles.values())) == len(roles), f"functions share a role: {roles}"


def test_function_roles_write_only_their_own_log_group(sam: Transformed) -> None:
    functions = lambda_functions(sam)
    for logical_id, fn in functions.items():
        role = sam.output["Resources"][role_of(fn)]
        name = fn["Properties"]["FunctionName"]["Fn::Sub"]
        own = f"arn:${{AWS::Partition}}:logs:${{AWS::Region}}:${{AWS::AccountId}}:log-group:/aws/lambda/{name}:*"
        logs = [s for s in statements(role) if any(a.startswith("logs:") for a in as_list(s["Action"]))]
        assert [s["Resource"] for s in logs] == [{"Fn::Sub": own}], logical_id
        assert sorted(as_list(logs[0]["Action"])) == ["logs:CreateLogStream", "logs:PutLogEvents"], logical_id
        # and that log group exists, with a retention
        groups = [
            g
            for g in sam.resources("AWS::Logs::LogGroup").values()
            if g["Properties"].get("LogGroupName") == {"Fn::Sub": f"/aws/lambda/${{{logical_id}}}"}
        ]
        assert len(groups) == 1 and groups[0]["Properties"]["RetentionInDays"], logical_id


def test_no_star_resource_or_action_except_where_aws_allows_nothing_narrower(sam: Transformed) -> None:
    policies = {k: v for k, v in sam.output["Resources"].items() if v["Type"] == "AWS::IAM::ManagedPolicy"}
    machine_roles = {
        m["Properties"]["RoleArn"]["Fn::GetAtt"][0] for m in sam.resources("AWS::StepFunctions::StateMachine").values()
    }
    for logical_id, role in sam.resources("AWS::IAM::Role").items():
        docs = statements(role)
        for arn in role["Properties"].get("ManagedPolicyArns", []):
            if isinstance(arn, dict) and arn.get("Ref") in policies:
                docs += as_list(policies[arn["Ref"]]["Properties"]["PolicyDocument"]["Statement"])
                continue
            name = json.dumps(arn).rsplit("/", 1)[-1].strip('"}')
            allowed = machine_roles if MANAGED_ALLOWED.get(name) == "state machines" else {MANAGED_ALLOWED.get(name)}
            assert logical_id in allowed, f"{logical_id} carries managed policy {name}"
        for statement in docs:
            actions = as_list(statement["Action"])
            assert all("*" not in a for a in actions), f"{logical_id}: wildcard action in {actions}"
            if "*" in as_list(statement["Resource"]):
                assert set(actions) <= STAR_ALLOWED, f"{logical_id}: {sorted(set(actions) - STAR_ALLOWED)} on *"


def resource_names(statement: dict[str, Any]) -> list[str]:
    return [json.dumps(r, sort_keys=True) for r in as_list(statement["Resource"])]


def test_dynamodb_grants_name_tables_and_indexes_of_the_stack(sam: Transformed) -> None:
    tables = sam.resources("AWS::DynamoDB::Table")
    allowed = set()
    for logical_id, table in tables.items():
        allowed.add(json.dumps({"Fn::GetAtt": [logical_id, "Arn"]}))
        for index in table["Properties"].get("GlobalSecondaryIndexes", []):
            allowed.add(json.dumps({"Fn::Sub": f"${{{logical_id}.Arn}}/index/{index['IndexName']}"}))
        if "StreamSpecification" in table["Properties"]:  # the table's stream (its records, not the table)
            allowed.add(json.dumps({"Fn::Sub": f"${{{logical_id}.Arn}}/stream/*"}))
    for fn in lambda_functions(sam).values():
        for statement in statements(sam.output["Resources"][role_of(fn)]):
            if any(a.startswith("dynamodb:") for a in as_list(statement["Action"])):
                assert set(resource_names(statement)) <= allowed, statement


def test_task_token_execution_and_mail_grants_are_scoped(sam: Transformed) -> None:
    # execution calls name the executions of one state machine of the stack; the others, the state machine
    execution = "arn:${{AWS::Partition}}:states:${{AWS::Region}}:${{AWS::AccountId}}:execution:${{{}.Name}}:*"
    machines = {json.dumps({"Ref": k}) for k in state_machines(sam)}
    executions = {json.dumps({"Fn::Sub": execution.format(k)}) for k in state_machines(sam)}
    for fn in lambda_functions(sam).values():
        for statement in statements(sam.output["Resources"][role_of(fn)]):
            actions = as_list(statement["Action"])
            if any(a.startswith("states:") for a in actions):
                on_executions = {a in ("states:DescribeExecution", "states:StopExecution") for a in actions}
                assert len(on_executions) == 1, statement  # (the two kinds of resource need two statements)
                assert len(resource_names(statement)) == 1, statement
                assert set(resource_names(statement)) <= (executions if True in on_executions else machines), statement
            if "ses:SendEmail" in actions:
                names = " ".join(resource_names(statement))
                assert "identity/${SesIdentity}" in names and "configuration-set/${EmailConfigurationSet}" in names
                assert all(":identity/" in n or ":configuration-set/" in n for n in resource_names(statement))


# ------------------------------------------------------------------ alarms, outputs, parameters


def alarms(sam: Transformed) -> list[dict[str, Any]]:
    return [a["Properties"] for a in sam.resources("AWS::CloudWatch::Alarm").values()]


def has_alarm(sam: Transformed, namespace: str, metric: str, dimension: Any = None) -> bool:
    for alarm in alarms(sam):
        if (alarm.get("Namespace"), alarm.get("MetricName")) != (namespace, metric):
            continue
        if dimension is None or dimension in [d["Value"] for d in alarm.get("Dimensions", [])]:
            return True
    return False


def test_every_alarm_tells_the_alarm_topic(sam: Transformed) -> None:
    assert alarms(sam)
    for alarm in alarms(sam):
        assert {"Ref": "AlarmTopic"} in alarm["AlarmActions"], alarm["AlarmDescription"]


def test_every_dead_letter_queue_raises_an_alarm_as_soon_as_anything_is_in_it(sam: Transformed) -> None:
    # Given every dead-letter queue of the default stack (what a function or a queue gave up on)
    queues = [q for q in sam.resources("AWS::SQS::Queue") if q.endswith("DeadLetterQueue")]
    assert "EmailEventsDeadLetterQueue" in queues and "PlatformEventsDeadLetterQueue" in queues
    # Then an alarm watches the depth of each
    for queue in queues:
        depth = {"Fn::GetAtt": [queue, "QueueName"]}
        assert has_alarm(sam, "AWS/SQS", "ApproximateNumberOfMessagesVisible", depth), queue


def test_the_scheduled_jobs_errors_raise_an_alarm_on_the_metric_it_emits(sam: Transformed) -> None:
    # Given the metric the job's handler emits for what it could not do (Due_<count>, RunReport "errors"),
    # in the namespace and with the service dimension Powertools takes from the functions' environment
    env = sam.source["Globals"]["Function"]["Environment"]["Variables"]
    assert "errors" in RunReport().counts()
    # Then an alarm watches exactly that metric
    assert has_alarm(sam, env["POWERTOOLS_METRICS_NAMESPACE"], "Due_errors", env["POWERTOOLS_SERVICE_NAME"])


def test_failures_throttles_5xx_and_bounces_raise_alarms(sam: Transformed) -> None:
    for logical_id in lambda_functions(sam):
        for metric in ("Errors", "Throttles"):
            assert has_alarm(sam, "AWS/Lambda", metric, {"Ref": logical_id}), f"{logical_id} {metric}"
    for logical_id in state_machines(sam):
        for metric in ("ExecutionsFailed", "ExecutionsTimedOut"):
            assert has_alarm(sam, "AWS/States", metric, {"Ref": logical_id}), f"{logical_id} {metric}"
    (api,) = sam.source_resources("AWS::Serverless::Api").values()
    assert has_alarm(sam, "AWS/ApiGateway", "5XXError", api["Properties"]["Name"])
    assert has_alarm(sam, "AWS/SES", "Reputation.BounceRate")


def test_the_outputs_name_the_api_the_accept_page_every_state_machine_and_table(sam: Transformed) -> None:
    outputs = sam.output["Outputs"]
    assert {"ApiUrl", "AcceptUrl"} <= set(outputs)
    named = {json.dumps(o["Value"]) for o in outputs.values()}
    for logical_id in [*sam.resources("AWS::DynamoDB::Table"), *state_machines(sam)]:
        assert json.dumps({"Ref": logical_id}) in named, f"no output names {logical_id}"


def test_every_parameter_is_bounded(sam: Transformed) -> None:
    for name, parameter in sam.source["Parameters"].items():
        if parameter["Type"] == "Number":
            bounded = "AllowedValues" in parameter or {"MinValue", "MaxValue"} <= set(parameter)
        else:
            bounded = "AllowedValues" in parameter or "AllowedPattern" in parameter
        assert bounded, f"{name} accepts anything"


def test_an_unknown_placeholder_is_an_error_not_left_in_the_definition() -> None:
    with pytest.raises(KeyError):
        substitute('{"a": "${Unknown}"}', {"Known": "1"})
