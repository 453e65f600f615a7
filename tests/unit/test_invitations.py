"""The invitation's rules: addresses, link tokens, why a link cannot be used, and who gets invited."""

from __future__ import annotations

import hashlib
from datetime import timedelta

import pytest
from hypothesis import example, given
from hypothesis import strategies as st

from paid_invites.accounts import Account, User
from paid_invites.errors import ValidationFailed
from paid_invites.invitations import (
    ACCEPTED,
    EXPIRED,
    FAILED,
    PENDING,
    REVOKED,
    Decision,
    Invitee,
    KnownUser,
    hash_secret,
    new_token,
    normalize_email,
    plan_invites,
    refusal_for,
    secret_matches,
    split_token,
)

from ..support.builders import ARNO, INVITATION_ID, NOW, OLGA, acme, invitation_with_link

# ---------------------------------------------------------------- e-mail addresses


@pytest.mark.parametrize(
    ("raw", "normalized"),
    [
        ("jan@devries.example", "jan@devries.example"),
        ("  Jan@DeVries.Example\t\n", "jan@devries.example"),
        ("JAN@DEVRIES.EXAMPLE", "jan@devries.example"),
        ("jan+acme@devries.example", "jan+acme@devries.example"),
        ("o'brien@example.ie", "o'brien@example.ie"),
        ("first.last@mail.sub.example.co.uk", "first.last@mail.sub.example.co.uk"),
        ("x@a-b.example", "x@a-b.example"),
        ("123@456.example", "123@456.example"),
    ],
)
def test_addresses_are_trimmed_and_lower_cased(raw: str, normalized: str) -> None:
    assert normalize_email(raw) == normalized


def domain_of(length: int) -> str:
    """A valid domain of exactly ``length`` characters (labels of at most 63)."""
    labels, left = [], length - len(".example")
    while left > 0:
        size = min(63, left if left <= 63 else 62)
        labels.append("d" * size)
        left -= size + 1
    domain = ".".join(labels) + ".example"
    assert len(domain) == length, (len(domain), length)
    return domain


def test_the_local_part_may_be_64_characters_not_65() -> None:
    assert normalize_email("a" * 64 + "@devries.example") == "a" * 64 + "@devries.example"
    with pytest.raises(ValidationFailed):
        normalize_email("a" * 65 + "@devries.example")


def test_the_whole_address_may_be_254_characters_not_255() -> None:
    longest = "a" * 64 + "@" + domain_of(189)
    assert len(longest) == 254
    assert normalize_email(longest) == longest
    too_long = "a" * 64 + "@" + domain_of(190)
    assert len(too_long) == 255
    with pytest.raises(ValidationFailed):
        normalize_email(too_long)


def test_the_length_is_counted_after_trimming() -> None:
    longest = "a" * 64 + "@" + domain_of(189)
    assert normalize_email(f"   {longest}   ") == longest


@pytest.mark.parametrize(
    "raw",
    [
        "",
        "   ",
        "jan",
        "jan@",
        "@devries.example",
        "jan@@devries.example",
        "jan@devries@example.org",
        "jan@devries",  # no top-level domain
        "jan de vries@devries.example",
        "jan@dev ries.example",
        ".jan@devries.example",
        "jan.@devries.example",
        "j..an@devries.example",
        "jan@devries..example",
        "jan@.devries.example",
        "jan@devries.example.",
        "jan@-devries.example",
        "jan@devries-.example",
        "jan@" + "d" * 64 + ".example",  # a label longer than 63
        '"jan"@devries.example',
        "jürgen@devries.example",
        "jan@bücher.example",
        "jan@devries.example\nbcc@evil.example",
        "jan@devries.example\r\nBcc: x@evil.example",
        "<jan@devries.example>",
        "Jan <jan@devries.example>",
        "jan@[127.0.0.1]",
        "jan@devries.example;drop table users",
        "jan@devries.example,piet@jansen.example",
    ],
)
def test_bad_shapes_are_invalid_email(raw: str) -> None:
    with pytest.raises(ValidationFailed) as refused:
        normalize_email(raw)
    assert refused.value.code == "invalid_email"
    assert refused.value.status == 400


@pytest.mark.parametrize("raw", [None, 5, b"jan@devries.example", ["jan@devries.example"]])
def test_what_is_not_text_is_invalid_email(raw: object) -> None:
    with pytest.raises(ValidationFailed):
        normalize_email(raw)  # type: ignore[arg-type]


@given(st.text(max_size=300))
def test_a_normalized_address_is_always_within_the_limits(raw: str) -> None:
    try:
        email = normalize_email(raw)
    except ValidationFailed:
        return
    local, _, domain = email.partition("@")
    assert email == email.strip().lower() and email.isascii()
    assert len(local) <= 64 and len(email) <= 254 and "." in domain
    assert normalize_email(email) == email  # normalizing twice changes nothing


# ---------------------------------------------------------------- link tokens


def test_a_new_token_is_the_invitation_id_and_a_secret_whose_hash_alone_is_stored() -> None:
    token, stored = new_token(INVITATION_ID)
    invitation_id, secret = token.split(".")
    assert invitation_id == INVITATION_ID
    assert split_token(token) == (INVITATION_ID, secret)
    assert stored == hashlib.sha256(secret.encode()).hexdigest() == hash_secret(secret)
    assert secret not in stored and token not in stored
    assert secret_matches(secret, stored)


def test_every_token_is_new() -> None:
    tokens = {new_token(INVITATION_ID) for _ in range(50)}
    assert len({t for t, _h in tokens}) == len({h for _t, h in tokens}) == 50


def test_a_secret_has_256_random_bits_in_43_url_safe_characters() -> None:
    _token, _stored = new_token(INVITATION_ID)
    secret = _token.split(".")[1]
    assert len(secret) == 43
    assert set(secret) <= set("ABCDEFGHIJKLMNOPQRSTUVWXYZabcdefghijklmnopqrstuvwxyz0123456789-_")


def tampered(secret: str) -> str:
    return ("B" if secret[0] == "A" else "A") + secret[1:]


def test_a_tampered_secret_does_not_match() -> None:
    token, stored = new_token(INVITATION_ID)
    secret = token.split(".")[1]
    parts = split_token(f"{INVITATION_ID}.{tampered(secret)}")
    assert parts is not None  # well-formed, so it is looked up ...
    assert not secret_matches(parts[1], stored)  # ... and refused
    assert not secret_matches(secret, None)  # nothing stored (not mailed yet): nothing matches
    assert not secret_matches(secret, hash_secret(secret).upper())


def token_like(secret_part: str = "s" * 43, invitation_id: str = INVITATION_ID) -> str:
    return f"{invitation_id}.{secret_part}"


@pytest.mark.parametrize(
    "token",
    [
        "",
        ".",
        INVITATION_ID,
        INVITATION_ID + ".",
        token_like()[:-1],  # truncated
        token_like()[1:],
        token_like("s" * 44),  # one character too many
        token_like("s" * 500),  # oversized
        "x" * 10_000,
        token_like(invitation_id=INVITATION_ID.upper()),
        token_like(invitation_id="g" * 32),
        token_like("s" * 42 + "é"),  # unicode
        token_like("s" * 42 + "\u0661"),  # an Arabic-Indic digit
        token_like("s" * 42 + "\uff21"),  # a full-width A
        token_like(invitation_id="０" * 32),  # full-width zeros
        "' OR '1'='1",
        token_like("s" * 30 + "' OR 1=1 --"),
        token_like("';DROP TABLE x;--" + "s" * 26),
        "<script>alert(1)</script>",
        token_like("<script>alert(1)</script>" + "s" * 18),
        token_like("s" * 42 + "="),  # padding is not url-safe base64 without padding
        token_like("s" * 42 + "/"),
        token_like("s" * 42 + "+"),
        " " + token_like(),
        token_like() + " ",
        token_like() + "\n",  # a line break after a well-formed token is not the token
        token_like() + "\r\n",
        token_like().replace(".", ":"),
        token_like().replace(".", ".."),
    ],
)
def test_malformed_tokens_are_not_links(token: str) -> None:
    assert split_token(token) is None


@pytest.mark.parametrize("token", [None, 42, b"x" * 76, ["a"], {"token": "x"}])
def test_what_is_not_text_is_not_a_link(token: object) -> None:
    assert split_token(token) is None


@given(st.text(max_size=120))
@example(token_like() + "\n")
def test_a_token_that_parses_is_exactly_its_parts(token: str) -> None:
    parts = split_token(token)
    if parts is not None:
        assert f"{parts[0]}.{parts[1]}" == token


@given(st.text(alphabet="0123456789abcdef", min_size=32, max_size=32))
def test_any_invitation_id_round_trips(invitation_id: str) -> None:
    token, stored = new_token(invitation_id)
    parts = split_token(token)
    assert parts is not None and parts[0] == invitation_id and secret_matches(parts[1], stored)


# ---------------------------------------------------------------- why a link cannot be used


def test_a_live_pending_invitation_has_no_refusal() -> None:
    inv, secret = invitation_with_link()
    assert refusal_for(inv, secret, NOW) is None
    assert refusal_for(inv, secret, inv.expires_at - timedelta(seconds=1)) is None


def test_no_invitation_no_secret_or_the_wrong_secret_is_an_unknown_link() -> None:
    inv, secret = invitation_with_link()
    for found, given_secret in [(None, None), (None, secret), (inv, None), (inv, tampered(secret))]:
        refusal = refusal_for(found, given_secret, NOW)
        assert refusal is not None and (refusal.code, refusal.status) == ("unknown_link", 404)


def test_an_invitation_that_was_never_mailed_has_no_link_yet() -> None:
    inv, secret = invitation_with_link(token_hash=None)
    refusal = refusal_for(inv, secret, NOW)
    assert refusal is not None and refusal.code == "unknown_link"


@pytest.mark.parametrize(
    ("status", "code", "http"),
    [(ACCEPTED, "already_accepted", 409), (REVOKED, "revoked", 410), (EXPIRED, "expired", 410)],
)
def test_a_closed_invitation_says_what_became_of_it(status: str, code: str, http: int) -> None:
    inv, secret = invitation_with_link(status=status)
    refusal = refusal_for(inv, secret, NOW)
    assert refusal is not None and (refusal.code, refusal.status) == (code, http)


@pytest.mark.parametrize("status", [ACCEPTED, REVOKED, EXPIRED])
def test_the_wrong_secret_learns_nothing_about_a_closed_invitation(status: str) -> None:
    inv, secret = invitation_with_link(status=status)
    refusal = refusal_for(inv, tampered(secret), NOW)
    assert refusal is not None and refusal.code == "unknown_link"


def test_a_pending_invitation_expires_by_time() -> None:
    inv, secret = invitation_with_link()
    at_expiry = refusal_for(inv, secret, inv.expires_at)
    after = refusal_for(inv, secret, inv.expires_at + timedelta(days=1))
    assert at_expiry is not None and at_expiry.code == "expired"
    assert after is not None and after.code == "expired"
    assert "Arno Admin" in after.message  # who to ask for a new one


def test_any_other_state_can_no_longer_be_accepted() -> None:
    inv, secret = invitation_with_link(status=FAILED)
    refusal = refusal_for(inv, secret, NOW)
    assert refusal is not None and refusal.code == "not_pending"


# ---------------------------------------------------------------- who gets invited

LIFETIME = 30 * 24 * 3600
JAN_KNOWN = {"jan@devries.example": KnownUser("u-jan", "acc-jan", "nl")}
FLEUR_KNOWN = {"fleur@bakker.example": KnownUser("u-fleur", "acc-fleur", "en")}
MIA_KNOWN = {"mia@acme.example": KnownUser("u-mia", "acme", "en")}


def plan(
    *invitees: Invitee, caller: User = ARNO, org: Account | None = None, known: dict[str, KnownUser] | None = None
) -> list[Decision]:
    return plan_invites(caller, org or acme(), list(invitees), known or {}, NOW, LIFETIME)


def reasons(decisions: list[Decision]) -> list[tuple[str, str | None]]:
    return [(d.email, d.reason) for d in decisions]


def test_a_new_address_gets_a_pending_invitation() -> None:
    (decision,) = plan(Invitee(" Nina@Example.ORG ", first_name="Nina", last_name="Nieuw"))
    inv = decision.invitation
    assert decision.created and decision.warnings == [] and inv is not None
    assert (inv.email, inv.status, inv.account_id, inv.user_type, inv.role) == (
        "nina@example.org",
        PENDING,
        "acme",
        "licensed",
        "member",
    )
    assert (inv.inviter_id, inv.inviter_name, inv.org_name) == ("u-arno", "Arno Admin", "Acme B.V.")
    assert inv.created_at == NOW and inv.expires_at == NOW + timedelta(days=30)
    assert (inv.invitee_user_id, inv.invitee_account_id, inv.language) == (None, None, "en")
    assert inv.token_hash is None  # the link is made when the e-mail goes out
    assert [e["event"] for e in inv.history] == ["created"]


def test_a_platform_user_is_invited_with_their_account_and_language() -> None:
    (decision,) = plan(Invitee("jan@devries.example"), known=JAN_KNOWN)
    inv = decision.invitation
    assert inv is not None and (inv.invitee_user_id, inv.invitee_account_id, inv.language) == (
        "u-jan",
        "acc-jan",
        "nl",
    )


def test_each_invitation_has_its_own_id() -> None:
    decisions = plan(Invitee("a@x.example"), Invitee("b@x.example"))
    ids = {d.invitation.id for d in decisions if d.invitation}
    assert len(ids) == 2


def test_an_invalid_address_is_rejected_and_named_as_given() -> None:
    decisions = plan(Invitee("not an address"), Invitee("ok@x.example"))
    assert reasons(decisions) == [("not an address", "invalid_email"), ("ok@x.example", None)]


def test_the_same_address_twice_in_one_request_is_a_duplicate() -> None:
    decisions = plan(Invitee("jan@devries.example"), Invitee("  JAN@devries.EXAMPLE"), known=JAN_KNOWN)
    assert reasons(decisions) == [("jan@devries.example", None), ("jan@devries.example", "duplicate_in_request")]


def test_a_member_of_the_organization_is_already_a_member() -> None:
    decisions = plan(Invitee("mia@acme.example"), known=MIA_KNOWN)
    assert reasons(decisions) == [("mia@acme.example", "already_member")]


def test_licenses_run_out_in_the_order_given() -> None:
    # Given two free licenses / When three licensed users and one basic are invited
    decisions = plan(
        Invitee("a@x.example"),
        Invitee("b@x.example"),
        Invitee("c@x.example"),
        Invitee("d@x.example", user_type="basic"),
        org=acme(licenses_free=2),
    )
    # Then the first two get them, the third none; a basic user needs no license
    assert reasons(decisions) == [
        ("a@x.example", None),
        ("b@x.example", None),
        ("c@x.example", "no_license_available"),
        ("d@x.example", None),
    ]


def test_without_free_licenses_only_basic_users_can_be_invited() -> None:
    decisions = plan(Invitee("a@x.example"), Invitee("b@x.example", user_type="basic"), org=acme(licenses_free=0))
    assert reasons(decisions) == [("a@x.example", "no_license_available"), ("b@x.example", None)]


def test_a_rejected_invitee_takes_no_license() -> None:
    decisions = plan(
        Invitee("mia@acme.example"),
        Invitee("bad address"),
        Invitee("boss@x.example", role="admin"),  # Arno may not make admins
        Invitee("a@x.example"),
        org=acme(licenses_free=1),
        known=MIA_KNOWN,
    )
    assert [d.reason for d in decisions] == ["already_member", "invalid_email", "role_not_allowed", None]


def test_only_the_owner_may_invite_an_admin() -> None:
    by_admin = plan(Invitee("boss@x.example", role="admin"), caller=ARNO)
    by_owner = plan(Invitee("boss@x.example", role="admin"), caller=OLGA)
    assert reasons(by_admin) == [("boss@x.example", "role_not_allowed")]
    assert reasons(by_owner) == [("boss@x.example", None)]
    assert by_owner[0].invitation is not None and by_owner[0].invitation.role == "admin"


def test_the_admin_may_invite_members() -> None:
    assert reasons(plan(Invitee("m@x.example", role="member"), caller=ARNO)) == [("m@x.example", None)]


def test_unknown_user_types_and_roles_are_rejected() -> None:
    decisions = plan(Invitee("a@x.example", user_type="vip"), Invitee("b@x.example", role="owner"), caller=OLGA)
    assert reasons(decisions) == [("a@x.example", "invalid_user_type"), ("b@x.example", "invalid_role")]


@pytest.mark.parametrize(
    ("invitee", "known"),
    [
        (Invitee("jan@devries.example", user_type="basic"), JAN_KNOWN),  # pays for a plan of his own
        (Invitee("jan@devries.example", user_type="licensed"), JAN_KNOWN),
        (Invitee("fleur@bakker.example", user_type="basic"), FLEUR_KNOWN),  # a free account
        (Invitee("new@x.example", user_type="basic"), {}),  # new to the platform
    ],
)
def test_the_inviter_learns_nothing_about_the_invitees_own_account(
    invitee: Invitee, known: dict[str, KnownUser]
) -> None:
    # Whatever the invitee's own account (a paid plan, a free one, none), the decision tells the inviter the same
    (decision,) = plan(invitee, known=known)
    assert decision.created and decision.reason is None and decision.warnings == []


def test_a_look_alike_that_lower_cases_to_ascii_is_no_address() -> None:
    # Given the Kelvin sign, which str.lower() turns into a plain "k"
    # When it stands in an address, Then the address is refused rather than folded into another one
    with pytest.raises(ValidationFailed):
        normalize_email("\u212aees@example.org")
