"""The local outbox sees every e-mail handed to SES v2, both of its parts.

moto's SES v2 SendEmail keeps a sent message with one body only (the HTML part when there is one), so the
plain-text part of our e-mails could not be read back. SES sends both. Here moto's SendEmail answers as it
does and then hands the request (destination, subject, text and HTML, configuration set, tags) and the
message id to the local outbox (``local.stack.OUTBOX``), which the tests and ``/_local/outbox`` read.

Wraps ``moto.sesv2.responses.SESV2Response.send_email``. Exercised by every test that reads the outbox.
"""

from __future__ import annotations

import json

LIBRARY = "moto"
VERSIONS = ">=5.2.5,<5.3"


def apply() -> None:
    from moto.sesv2.responses import SESV2Response

    from ..stack import OUTBOX

    original = SESV2Response.send_email

    def send_email(self: SESV2Response) -> str:
        result = original(self)
        OUTBOX.record(json.loads(self.body), json.loads(result).get("MessageId", ""))
        return result

    SESV2Response.send_email = send_email  # type: ignore[method-assign]
