"""paid-account-invites: the shared package (domain rules, money, persistence, mail, workflow).

Dependencies point inward (``lint-imports`` checks it, see the root pyproject.toml):

- rules, pure: ``invitations``, ``accounts``, ``proration``, ``money``, ``reminders``, ``acceptance``,
  ``settlement``, ``billing_ids``, ``ledger``, ``i18n``, ``clock``, ``errors``;
- adapters: ``store`` (the only place that knows DynamoDB), ``mail``, ``pages``, ``workflow``, ``events``,
  ``idempotency``, over ``aws``, ``templating`` and ``config``;
- ``usecases``: one module per use case, which the Lambda handlers call;
- the handlers' edge: ``contract`` (the API's models), ``http``, ``tasks``, ``observability``.
"""
