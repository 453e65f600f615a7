"""A seeded Cognito user keeps the platform user id of the seed as its ``sub``.

Cognito assigns every user a ``sub`` of its own choosing and nobody can set it; the platform's user ids are
those ``sub`` values. The local stack seeds users whose ids are fixed in a seed file (``u-jan``, ``u-arno``)
and creates each of them in moto's user pool, so that signing in as Jan yields an ID token whose ``sub`` is
``u-jan``, as it would for Jan on AWS. moto's ``CognitoIdpUser`` draws a random ``sub`` (and overwrites a
``sub`` attribute passed to ``AdminCreateUser``); here a ``sub`` passed by the local stack's seeding is kept
as the user's id. Users created any other way (the managed-login stand-in's sign-up) get moto's random one.

Wraps ``moto.cognitoidp.models.CognitoIdpUser.__init__``. Exercised by every test that signs a seed user in.
"""

from __future__ import annotations

from typing import Any

LIBRARY = "moto"
VERSIONS = ">=5.2.5,<5.3"


def apply() -> None:
    from moto.cognitoidp.models import CognitoIdpUser

    original = CognitoIdpUser.__init__

    def __init__(self: CognitoIdpUser, *args: Any, **kwargs: Any) -> None:  # noqa: N807
        attributes = kwargs.get("attributes", args[4] if len(args) > 4 else None) or []
        wanted = next((a["Value"] for a in attributes if a.get("Name") == "sub"), None)
        original(self, *args, **kwargs)
        if wanted:
            self.id = wanted
            self.update_attributes([{"Name": "sub", "Value": wanted}])

    CognitoIdpUser.__init__ = __init__  # type: ignore[method-assign]
