"""Powertools' Logger, Tracer and Metrics, made the one way every handler uses them."""

from __future__ import annotations

from aws_lambda_powertools import Logger, Metrics, Tracer


def powertools() -> tuple[Logger, Tracer, Metrics]:
    """The handler's logger, tracer and metrics (service name and namespace from the environment).

    X-Ray traces every AWS call through botocore, pynamodb's too; patching pynamodb as well (``patch_all``)
    would record each DynamoDB call a second time and parse its response again.
    """
    return Logger(), Tracer(patch_modules=("botocore",)), Metrics()
