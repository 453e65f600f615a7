"""SQS SendMessage in the local stack costs the same however deep the queue is, and answers as moto does: the
message is queued, FIFO queues still deduplicate and refuse what they refused, and GetQueueAttributes still
counts the queue's messages."""

from __future__ import annotations

from collections.abc import Iterator
from typing import Any

import boto3
import pytest
from moto import mock_aws
from moto.sqs.models import Message, sqs_backends

from local import patches
from local.patches import sqs_send_without_counting


@pytest.fixture
def sqs() -> Iterator[Any]:
    patches.install()
    with mock_aws():
        yield boto3.client("sqs", region_name="us-east-1")


@pytest.fixture
def clock_reads(monkeypatch: pytest.MonkeyPatch) -> list[str]:
    """Every time moto asks a message whether it is visible or delayed (what counting the queue does)."""
    reads: list[str] = []
    for name in ("visible", "delayed"):
        real = getattr(Message, name).fget
        monkeypatch.setattr(Message, name, property(lambda m, real=real, name=name: reads.append(name) or real(m)))
    return reads


def counts(sqs: Any, url: str) -> dict[str, str]:
    names = list(sqs_send_without_counting.COUNTS)
    return sqs.get_queue_attributes(QueueUrl=url, AttributeNames=names)["Attributes"]


def test_a_send_to_a_deep_queue_does_not_count_its_messages(sqs: Any, clock_reads: list[str]) -> None:
    # Given a queue that already holds 200 messages, 5 of them received (in flight)
    url = sqs.create_queue(QueueName="deep")["QueueUrl"]
    for n in range(200):
        sqs.send_message(QueueUrl=url, MessageBody=f"m{n}")
    sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=5, VisibilityTimeout=60)
    clock_reads.clear()
    # When one more message is sent
    sent = sqs.send_message(QueueUrl=url, MessageBody="one more")
    # Then no message of the queue was looked at to send it
    assert clock_reads == []
    assert sent["MessageId"]
    # and the queue's counts still count every message, the new one among the visible ones
    assert counts(sqs, url) == {
        "ApproximateNumberOfMessages": "196",
        "ApproximateNumberOfMessagesDelayed": "0",
        "ApproximateNumberOfMessagesNotVisible": "5",
    }
    assert len(clock_reads) > 200


def test_every_attribute_but_the_counts_is_moto_s_own_while_sending(sqs: Any) -> None:
    # Given a FIFO queue with content-based deduplication and a redrive policy
    dlq = sqs.create_queue(QueueName="dead.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    arn = sqs.get_queue_attributes(QueueUrl=dlq, AttributeNames=["QueueArn"])["Attributes"]["QueueArn"]
    attributes = {
        "FifoQueue": "true",
        "ContentBasedDeduplication": "true",
        "RedrivePolicy": f'{{"deadLetterTargetArn": "{arn}", "maxReceiveCount": "3"}}',
    }
    sqs.create_queue(QueueName="q.fifo", Attributes=attributes)
    queue = sqs_backends["123456789012"]["us-east-1"].get_queue("q.fifo")
    everything = queue.attributes
    # When the attributes are read while a message is being sent to that queue
    sqs_send_without_counting._state.sending = queue
    try:
        while_sending = queue.attributes
    finally:
        sqs_send_without_counting._state.sending = None
    # Then they are moto's own, less the three counts
    assert set(everything) - set(while_sending) == set(sqs_send_without_counting.COUNTS)
    assert while_sending == {k: v for k, v in everything.items() if k not in sqs_send_without_counting.COUNTS}
    assert while_sending["ContentBasedDeduplication"] == "true"
    # and another queue's attributes read meanwhile are counted
    other = sqs_backends["123456789012"]["us-east-1"].get_queue("dead.fifo")
    sqs_send_without_counting._state.sending = queue
    try:
        assert "ApproximateNumberOfMessages" in other.attributes
    finally:
        sqs_send_without_counting._state.sending = None


def test_a_fifo_queue_still_deduplicates_by_content(sqs: Any) -> None:
    # Given a FIFO queue that deduplicates by content
    url = sqs.create_queue(QueueName="q.fifo", Attributes={"FifoQueue": "true", "ContentBasedDeduplication": "true"})[
        "QueueUrl"
    ]
    # When the same body is sent twice, and another once
    first = sqs.send_message(QueueUrl=url, MessageBody="same", MessageGroupId="g")
    sqs.send_message(QueueUrl=url, MessageBody="same", MessageGroupId="g")
    sqs.send_message(QueueUrl=url, MessageBody="other", MessageGroupId="g")
    # Then the queue holds two messages, the first one under its content's hash
    assert counts(sqs, url)["ApproximateNumberOfMessages"] == "2"
    got = sqs.receive_message(QueueUrl=url, MaxNumberOfMessages=10, AttributeNames=["All"])["Messages"]
    assert [m["Body"] for m in got] == ["same", "other"]
    assert got[0]["MessageId"] == first["MessageId"]
    assert len(got[0]["Attributes"]["MessageDeduplicationId"]) == 64


def test_a_fifo_queue_without_content_deduplication_still_refuses_what_moto_refuses(sqs: Any) -> None:
    # Given a FIFO queue that does not deduplicate by content
    url = sqs.create_queue(QueueName="plain.fifo", Attributes={"FifoQueue": "true"})["QueueUrl"]
    # When a message is sent without a group, or with a group but no deduplication id
    # Then each is refused as moto refuses it
    with pytest.raises(sqs.exceptions.ClientError, match="MessageGroupId"):
        sqs.send_message(QueueUrl=url, MessageBody="x")
    with pytest.raises(sqs.exceptions.ClientError, match="ContentBasedDeduplication"):
        sqs.send_message(QueueUrl=url, MessageBody="x", MessageGroupId="g")
    # and a send to a queue that does not exist is refused too
    with pytest.raises(sqs.exceptions.QueueDoesNotExist):
        sqs.send_message(QueueUrl=url.replace("plain", "missing"), MessageBody="x")


def test_the_patch_is_refused_on_a_moto_it_was_not_written_for(monkeypatch: pytest.MonkeyPatch) -> None:
    # Given moto 5.3.0 installed
    monkeypatch.setattr(patches, "version_of", lambda name: "5.3.0")
    # When the patch's range is checked
    with pytest.raises(RuntimeError) as refused:
        patches.check(sqs_send_without_counting)
    # Then the error names the patch and the range it was written for
    assert "'sqs_send_without_counting'" in str(refused.value)
    assert "moto >=5.2.5,<5.3" in str(refused.value)
