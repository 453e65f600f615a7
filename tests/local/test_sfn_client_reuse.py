"""moto's Step Functions interpreter shares one AWS client per region and service in the local stack, whatever
credentials its states carry (moto makes the same client for every one of them)."""

from __future__ import annotations

import os

from moto import mock_aws
from moto.stepfunctions.parser.asl.component.state.exec.state_task import lambda_eval_utils
from moto.stepfunctions.parser.asl.component.state.exec.state_task.credentials import StateCredentials

from local import patches

os.environ.setdefault("AWS_DEFAULT_REGION", "us-east-1")


def test_every_task_of_a_region_and_service_shares_one_client() -> None:
    # Given the local stack's patches
    patches.install()
    with mock_aws():
        make = lambda_eval_utils.boto_client_for
        # When the interpreter asks for a Lambda client for two tasks, each with its state's credentials
        first = make(region="eu-west-1", service="lambda", state_credentials=StateCredentials(role_arn="arn:a"))
        second = make(region="eu-west-1", service="lambda", state_credentials=StateCredentials(role_arn="arn:b"))
        # Then both get the same client, made as moto makes it
        assert first is second
        assert first.meta.region_name == "eu-west-1"
        assert first.meta.service_model.service_name == "lambda"
        # and another service or region gets a client of its own
        assert make(region="eu-west-1", service="sqs", state_credentials=None) is not first
        assert make(region="us-east-1", service="lambda", state_credentials=None) is not first
