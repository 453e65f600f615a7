"""E-mail: rendered by us (text + HTML, autoescaped), sent through SES v2 as Simple content."""

from __future__ import annotations

import re
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from .. import i18n
from ..aws import client, error_code
from ..config import get_settings
from ..errors import DomainError, MailThrottled
from ..templating import environment

_CONTROL = re.compile(r"[\x00-\x1f\x7f]+")
_TAG_VALUE = re.compile(r"[^A-Za-z0-9_-]")
THROTTLED = {"TooManyRequestsException", "Throttling", "ThrottlingException", "LimitExceededException"}


class MailSuppressed(DomainError):
    """The address is on our suppression list (it complained): nothing is sent to it any more."""

    code = "address_suppressed"
    status = 409


@dataclass(frozen=True)
class Mail:
    to: str
    subject: str
    text: str
    html: str
    kind: str = ""  # the template; sent along as the SES message tag ``kind``


def one_line(value: str) -> str:
    """Subjects and names never carry CR/LF or other control characters into a header."""
    return _CONTROL.sub(" ", value).strip()


def render(kind: str, to: str, lang: str, **context: Any) -> Mail:
    lang = i18n.language(lang)
    safe = {k: one_line(v) if isinstance(v, str) else v for k, v in context.items()}

    def t(key: str, **values: Any) -> str:
        return i18n.text(lang, key, **{**safe, **values})

    env = environment(Path(__file__).parent)
    subject = t(f"{kind}_subject")
    variables = {**safe, "t": t, "lang": lang, "subject": subject}  # the layout's title and heading
    return Mail(
        to=to,
        subject=one_line(subject),
        text=env.get_template(f"{kind}.txt").render(variables),
        html=env.get_template(f"{kind}.html").render(variables),
        kind=kind,
    )


def send(mail: Mail, tags: dict[str, str] | None = None) -> str:
    """Send through SES v2; throttling becomes ``MailThrottled`` for the workflow to retry.

    It sends to whom it is told: the use cases ask our suppression list first (``MailSuppressed``).
    ``tags`` (and the template's ``kind``) travel as SES message tags and come back in the bounce,
    complaint and delivery events of the configuration set: ``invitation_id`` links an event to its
    invitation.
    """
    settings = get_settings()
    request: dict[str, Any] = {
        "FromEmailAddress": settings.sender_address,
        "Destination": {"ToAddresses": [mail.to]},
        "Content": {
            "Simple": {
                "Subject": {"Data": mail.subject, "Charset": "UTF-8"},
                "Body": {
                    "Text": {"Data": mail.text, "Charset": "UTF-8"},
                    "Html": {"Data": mail.html, "Charset": "UTF-8"},
                },
            }
        },
    }
    if settings.ses_configuration_set:
        request["ConfigurationSetName"] = settings.ses_configuration_set
    named = {"kind": mail.kind, **(tags or {})}
    if any(named.values()):
        request["EmailTags"] = [{"Name": k, "Value": _TAG_VALUE.sub("_", v)[:256]} for k, v in named.items() if v]
    try:
        return str(client("sesv2").send_email(**request)["MessageId"])
    except Exception as error:  # botocore's error classes are made at run time
        if error_code(error) in THROTTLED:
            raise MailThrottled("SES is throttling; the workflow retries") from error
        raise
