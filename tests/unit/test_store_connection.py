"""A fresh container: the models find their tables and share one DynamoDB client, whatever is used first."""

from __future__ import annotations

import os

from ..support.fresh import in_fresh_interpreter

TABLES = {
    "ACCOUNTS_TABLE": "stack-accounts",
    "USERS_TABLE": "stack-users",
    "INVOICES_TABLE": "stack-invoices",
    "INVITATIONS_TABLE": "stack-invitations",
    "LEDGER_TABLE": "stack-ledger",
}

# No bind() and no settings read before: the first thing a Lambda container does is use a model.
SCRIPT = """
import json
from paid_invites.store import models as m
from paid_invites.store import repository as repo
first = repo.key_item(m.InvitationModel, "x")._get_connection().table_name
clients = {id(model._get_connection().connection.client) for ms in m.MODELS.values() for model in ms}
print(json.dumps({"first": first, "tables": {model.__name__: model.Meta.table_name for ms in m.MODELS.values()
                  for model in ms}, "clients": len(clients)}))
"""


# The bulk import's models: in their own table, on the same client as the others.
IMPORTS_SCRIPT = """
import json
from paid_invites.store import import_records, models as m
from paid_invites.store import repository as repo
first = repo.key_item(import_records.ImportChunkModel, "chunk#x#0")._get_connection().table_name
models = [import_records.ImportModel, import_records.ImportChunkModel,
          *(model for ms in m.MODELS.values() for model in ms)]
clients = {id(model._get_connection().connection.client) for model in models}
print(json.dumps({"first": first, "tables": {model.__name__: model.Meta.table_name for model in models[:2]},
                  "clients": len(clients)}))
"""


def run_fresh(script: str = SCRIPT) -> dict[str, object]:
    env = {
        "PATH": os.environ.get("PATH", ""),
        "AWS_DEFAULT_REGION": "eu-west-1",
        "AWS_ACCESS_KEY_ID": "x",
        "AWS_SECRET_ACCESS_KEY": "x",
        **TABLES,
        "IMPORTS_TABLE": "stack-imports",
    }
    return dict(in_fresh_interpreter(script, env=env, timeout=60))


def test_a_model_used_first_thing_in_a_fresh_container_is_bound_to_the_stacks_table() -> None:
    # (the e-mail task's first call is an UpdateItem on an invitation, before any read binds the models)
    assert run_fresh()["first"] == "stack-invitations"


def test_every_model_is_bound_and_all_share_one_client() -> None:
    result = run_fresh()
    assert result["tables"] == {
        "AccountModel": "stack-accounts",
        "UserModel": "stack-users",
        "UserEmailModel": "stack-users",
        "UserTombstoneModel": "stack-users",
        "InvoiceModel": "stack-invoices",
        "InvitationModel": "stack-invitations",
        "PendingGuardModel": "stack-invitations",
        "SuppressionModel": "stack-invitations",
        "LedgerModel": "stack-ledger",
    }
    assert result["clients"] == 1


def test_the_import_models_used_first_thing_are_bound_to_the_imports_table_and_share_the_one_client() -> None:
    # Given a fresh container, When an import chunk is written to before anything else
    result = run_fresh(IMPORTS_SCRIPT)
    # Then it goes to the stack's imports table, and every model, the import ones too, uses one client
    assert result["first"] == "stack-imports"
    assert result["tables"] == {"ImportModel": "stack-imports", "ImportChunkModel": "stack-imports"}
    assert result["clients"] == 1
