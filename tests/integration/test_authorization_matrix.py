"""Every admin route x every kind of caller: the status, and nothing changed when refused."""

from __future__ import annotations

from collections.abc import Callable
from dataclasses import dataclass

import pytest

from local import apigw
from local.stack import Stack

from ..support import Api, dump_tables, invite_with_token, wait_for

ACCOUNT = "acme"
CALLERS = {"owner": "u-olga", "admin": "u-arno", "member": "u-mia", "outsider": "u-gwen", "nobody": None}
EXPECTED_REFUSAL = {"member": 403, "outsider": 404, "nobody": 401}
MEMBER = "u-mia"  # the member the remove_member route removes
CSV = {"Content-Type": "text/csv"}


@dataclass(frozen=True)
class Case:
    method: str
    path: Callable[[str], str]  # from an existing invitation id
    body: dict[str, object] | None = None
    allowed: int = 200


ROUTES = {
    "invite": Case("POST", lambda _: f"/accounts/{ACCOUNT}/invitations", {"invitees": [{"email": "new@example.org"}]}),
    "list": Case("GET", lambda _: f"/accounts/{ACCOUNT}/invitations"),
    "get": Case("GET", lambda i: f"/accounts/{ACCOUNT}/invitations/{i}"),
    "resend": Case("POST", lambda i: f"/accounts/{ACCOUNT}/invitations/{i}/resend"),
    "revoke": Case("DELETE", lambda i: f"/accounts/{ACCOUNT}/invitations/{i}"),
    "summary": Case("GET", lambda _: f"/accounts/{ACCOUNT}"),
    "members": Case("GET", lambda _: f"/accounts/{ACCOUNT}/members"),
    "remove_member": Case("DELETE", lambda _: f"/accounts/{ACCOUNT}/members/{MEMBER}"),
}


# The import history's routes, from an existing import id (a running import: see TestImportRoutes).
IMPORT_ROUTES = {
    "imports": Case("GET", lambda _: f"/accounts/{ACCOUNT}/imports"),
    "cancel_import": Case("POST", lambda i: f"/accounts/{ACCOUNT}/imports/{i}/cancel"),
    "import_results": Case("GET", lambda i: f"/accounts/{ACCOUNT}/imports/{i}/results.csv"),
}


@pytest.fixture
def invitation_id(api: Api, stack: Stack) -> str:
    invitation, _token = invite_with_token(api, "jan@devries.example", "u-olga", ACCOUNT)
    stack.clock.advance(3600)  # past the resend cool-down
    return invitation


def test_every_route_is_covered_by_the_matrix(stack: Stack) -> None:
    admin_routes = {(r.method, r.path) for r in stack.routes if not r.public}
    covered = {
        (c.method, c.path("{invitationId}").replace(ACCOUNT, "{accountId}", 1).replace(MEMBER, "{userId}"))
        for c in ROUTES.values()
    }
    covered |= {(c.method, c.path("{importId}").replace(ACCOUNT, "{accountId}", 1)) for c in IMPORT_ROUTES.values()}
    assert admin_routes <= covered | {(m, p) for m, p in admin_routes if "/invitations/imports" in p}


@pytest.mark.parametrize("who", list(CALLERS))
@pytest.mark.parametrize("route", list(ROUTES))
def test_route_by_caller(api: Api, stack: Stack, invitation_id: str, route: str, who: str) -> None:
    answered_as_expected(api, stack, ROUTES[route], invitation_id, who)


def answered_as_expected(api: Api, stack: Stack, case: Case, target_id: str, who: str) -> None:
    """``who`` calls the route on ``target_id``: refused with the status their kind gets and nothing changed,
    or answered as the route answers those allowed."""
    before = dump_tables(stack)
    reply = api.call(case.method, case.path(target_id), case.body, caller=CALLERS[who])
    if who in EXPECTED_REFUSAL:
        assert reply.status == EXPECTED_REFUSAL[who], reply.body
        assert dump_tables(stack) == before, "a refused request changed something"
        if who != "nobody":
            assert reply.json["error"]["code"] in ("forbidden", "not_found")
    else:
        assert reply.status == case.allowed, reply.body


class TestImportRoutes:
    @pytest.fixture
    def parameters(self) -> dict[str, str]:
        return {"ImportChunkPauseSeconds": "3600"}  # an import stays running after its first chunk

    @pytest.fixture
    def import_id(self, api: Api, stack: Stack) -> str:
        """A running import of Acme's, quiet: its first chunk done, the workflow pausing before the second."""
        body = "email\n" + "".join(f"nobody-{i}\n" for i in range(150))
        reply = api.call("POST", f"/accounts/{ACCOUNT}/invitations/imports", body, "u-olga", headers=CSV)
        assert reply.status == 202, reply.body
        path = f"/accounts/{ACCOUNT}/invitations/imports/{reply.json['id']}"
        wait_for(lambda: api.call("GET", path, caller="u-olga").json["totals"]["processed"] == 100)
        return str(reply.json["id"])

    @pytest.mark.parametrize("who", list(CALLERS))
    @pytest.mark.parametrize("route", list(IMPORT_ROUTES))
    def test_import_route_by_caller(self, api: Api, stack: Stack, import_id: str, route: str, who: str) -> None:
        answered_as_expected(api, stack, IMPORT_ROUTES[route], import_id, who)

    @pytest.mark.parametrize("route", ["cancel_import", "import_results"])
    def test_another_tenant_reaches_no_import_through_its_own_account(
        self, api: Api, stack: Stack, import_id: str, route: str
    ) -> None:
        # Globex's owner names Acme's import under Globex: not found, and nothing changes
        case = IMPORT_ROUTES[route]
        before = dump_tables(stack)
        reply = api.call(case.method, case.path(import_id).replace(ACCOUNT, "globex", 1), caller="u-gwen")
        assert reply.status == 404 and reply.json["error"]["code"] == "not_found", reply.body
        assert dump_tables(stack) == before


def test_the_handler_itself_refuses_a_request_without_claims(stack: Stack) -> None:
    # API Gateway's authorizer stops these first; the function does not rely on it
    route, params, _ = apigw.match(stack.routes, "GET", f"/accounts/{ACCOUNT}")
    assert route is not None
    event = apigw.event(route, "GET", f"/accounts/{ACCOUNT}", params, headers={})
    reply = stack.invoke(route.function, event)
    assert reply["statusCode"] == 401
    assert '"unauthorized"' in reply["body"]


def test_only_the_owner_may_invite_an_admin(api: Api) -> None:
    by_admin = api.invite("u-arno", ACCOUNT, {"email": "boss@example.org", "role": "admin"}).json["results"][0]
    assert (by_admin["status"], by_admin["reason"]) == ("rejected", "role_not_allowed")
    by_owner = api.invite("u-olga", ACCOUNT, {"email": "boss@example.org", "role": "admin"}).json["results"][0]
    assert by_owner["status"] == "created"
