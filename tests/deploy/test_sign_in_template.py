"""What signing in to accept needs from the template: the app client (code flow, PKCE, the accept page as its only
callback), the sessions table, the accept function's settings and grants; and that the local-only trust of moto's
signing key can never come from the template."""

from __future__ import annotations

import json
import re
from pathlib import Path
from typing import Any

from local.cognito import TRUST_SETTING
from local.template import ROOT

from .sam import Transformed, transformed


def sam() -> Transformed:
    return transformed()


def accept_function(t: Transformed) -> dict[str, Any]:
    return dict(t.source["Resources"]["AcceptFunction"]["Properties"])


def test_the_app_client_is_a_public_code_flow_client_back_to_the_accept_page() -> None:
    (client,) = sam().source_resources("AWS::Cognito::UserPoolClient").values()
    props = client["Properties"]
    assert props["GenerateSecret"] is False  # a public client: PKCE, no secret in the function
    assert props["AllowedOAuthFlowsUserPoolClient"] is True and props["AllowedOAuthFlows"] == ["code"]
    assert sorted(props["AllowedOAuthScopes"]) == ["email", "openid"]
    assert props["CallbackURLs"] == [{"Ref": "AcceptBaseUrl"}]
    assert {"email", "email_verified"} <= set(props["ReadAttributes"])
    assert props["UserPoolId"] == {"Fn::Select": [1, {"Fn::Split": ["/", {"Ref": "CognitoUserPoolArn"}]}]}
    assert "ALLOW_USER_PASSWORD_AUTH" not in props["ExplicitAuthFlows"]


def test_the_sessions_table_expires_items_is_recoverable_and_only_the_accept_function_may_use_it() -> None:
    t = sam()
    table = t.source["Resources"]["SessionsTable"]["Properties"]
    assert table["TimeToLiveSpecification"] == {"AttributeName": "expires", "Enabled": True}
    assert table["PointInTimeRecoverySpecification"] == {"PointInTimeRecoveryEnabled": True}
    roles = t.source_resources("AWS::IAM::Role")
    users = {}
    for name, role in roles.items():
        for policy in role["Properties"].get("Policies", []):
            for statement in policy["PolicyDocument"]["Statement"]:
                if "SessionsTable" in json.dumps(statement.get("Resource")):
                    users[name] = sorted(statement["Action"])
    assert users == {"AcceptFunctionRole": ["dynamodb:DeleteItem", "dynamodb:GetItem", "dynamodb:PutItem"]}


def test_the_accept_function_knows_the_pool_its_client_the_managed_login_and_the_sessions() -> None:
    env = accept_function(sam())["Environment"]["Variables"]
    assert env["COGNITO_CLIENT_ID"] == {"Ref": "AcceptAppClient"}
    assert env["COGNITO_DOMAIN"] == {"Ref": "CognitoDomain"}
    assert env["SESSIONS_TABLE"] == {"Ref": "SessionsTable"}
    assert env["ACCEPT_BASE_URL"] == {"Ref": "AcceptBaseUrl"}  # the redirect URI, the client's callback URL
    assert "cognito-idp" in json.dumps(env["COGNITO_ISSUER"])
    seconds = sam().source["Parameters"]["SessionSeconds"]
    assert (seconds["MinValue"], seconds["MaxValue"]) == (900, 3600)  # 15 to 60 minutes


def test_the_template_cannot_make_the_product_trust_motos_key() -> None:
    # Given the template and the product's code (the functions and the layer)
    text = (ROOT / "template.yaml").read_text()
    # Then the local-only setting is nowhere in the template, not even as a parameter or a default
    assert TRUST_SETTING not in text and "TRUST" not in text.upper().replace("TRUSTED", "")
    # and no function or package module reads it: only local/ does
    product = [*Path(ROOT, "functions").rglob("*.py"), *Path(ROOT, "layers/core/paid_invites").rglob("*.py")]
    assert product
    for path in product:
        assert TRUST_SETTING not in path.read_text(), path
    # and the product sets no environment variable whose name starts with LOCAL_
    variables = re.findall(r"^\s+(LOCAL_[A-Z_]+):", text, flags=re.MULTILINE)
    assert variables == []
