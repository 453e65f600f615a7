"""Words for e-mails and pages, in English and Dutch. Plain text: templates escape it."""

from __future__ import annotations

from datetime import datetime

LANGUAGES = ("en", "nl")

_MONTHS = {
    "en": [
        "January",
        "February",
        "March",
        "April",
        "May",
        "June",
        "July",
        "August",
        "September",
        "October",
        "November",
        "December",
    ],
    "nl": [
        "januari",
        "februari",
        "maart",
        "april",
        "mei",
        "juni",
        "juli",
        "augustus",
        "september",
        "oktober",
        "november",
        "december",
    ],
}

STRINGS: dict[str, dict[str, str]] = {
    "en": {
        "invitation_subject": "{inviter} invites you to join {org}",
        "invite_greeting": "Hello,",
        "invite_body": "{inviter} has invited you to join the {org} account.",
        "invite_moves": "Your profile, meetings, recordings, contacts and settings move with you. "
        "If you pay for a plan of your own, you choose between a prorated refund and moving the "
        "prorated credit to {org}.",
        "invite_cta": "Accept the invitation",
        "invite_expires": "This invitation expires on {date}.",
        "invite_ignore": "If you did not expect this invitation, you can ignore this e-mail.",
        "accepted_subject": "{email} accepted your invitation to {org}",
        "accepted_body": "{email} accepted your invitation and is now a member of {org}.",
        "reminder_subject": "Reminder: {inviter} invites you to join {org}",
        "reminder_body": "{inviter} invited you to join the {org} account and is still waiting for your answer.",
        "reminder_days_left_one": "This invitation expires in 1 day, on {date}.",
        "reminder_days_left_other": "This invitation expires in {days} days, on {date}.",
        "reminder_last": "This is the last reminder.",
        "reminder_ignore": "If you do not want to join, you can ignore this e-mail: the invitation then expires "
        "by itself.",
        "expired_inviter_subject": "Your invitation to {email} has expired",
        "expired_inviter_body": "{email} did not accept your invitation to join {org} in time, so it has expired.",
        "expired_inviter_license": "The license it held is free again.",
        "expired_inviter_next": "To try again, invite {email} again from the list of invitations.",
        "page_title_confirm": "Join {org}",
        "page_lead": "{inviter} invites you ({email}) to join the {org} account.",
        "page_changes": "What changes",
        "page_change_join": "Your account joins {org}; you sign in as before.",
        "page_change_sub": "Your own subscription ends when you join.",
        "page_change_new": "A user in {org} is created for {email}; you sign in with this address.",
        "page_change_free": "Your free account is closed; your meetings, recordings and settings move with you.",
        "page_money": "The unused part of your subscription is worth {amount}.",
        "page_money_zero": "Your current period is used up, so there is nothing to pay back.",
        "page_choose": "What should happen with {amount}?",
        "page_refund": "Refund it to {method}",
        "page_credit": "Transfer it as credit to {org}",
        "page_final": "This choice is final: it cannot be changed afterwards.",
        "page_accept": "Accept and join {org}",
        "page_choice_required": "Choose what should happen with the unused part of your subscription.",
        "result_title": "Welcome to {org}",
        "result_body": "You are now a member of {org}. Sign in as before.",
        "result_refund": "A refund of {amount} to {method} has been requested.",
        "result_credit": "{amount} has been transferred as credit to {org}.",
        "refused_title": "This invitation cannot be accepted",
        "refused_unknown_link": "This invitation link is not valid. Check that you copied the whole link.",
        "refused_already_accepted": "This invitation has already been accepted.",
        "refused_revoked": "This invitation was withdrawn by the organization.",
        "refused_expired": "This invitation has expired; ask {inviter} to resend it.",
        "refused_not_pending": "This invitation can no longer be accepted.",
        "refused_outstanding_invoices": "Your account has outstanding invoices of {amount}. Pay them first, "
        "then open this link again: the invitation stays open for you.",
        "refused_account_has_other_users": "Your account still has other users. Remove them first, then "
        "open this link again.",
        "refused_no_license_available": "{org} has no free license left. Ask {inviter} to add one, then open "
        "this link again.",
        "refused_already_member": "You are already a member of {org}.",
        "refused_choice_required": "Choose what should happen with the unused part of your subscription.",
        "language_switch": "Nederlands",
    },
    "nl": {
        "invitation_subject": "{inviter} nodigt je uit voor {org}",
        "invite_greeting": "Hallo,",
        "invite_body": "{inviter} heeft je uitgenodigd om lid te worden van het account {org}.",
        "invite_moves": "Je profiel, vergaderingen, opnames, contacten en instellingen gaan met je mee. "
        "Betaal je zelf voor een abonnement, dan kies je tussen een evenredige terugbetaling en het "
        "evenredige tegoed overmaken naar {org}.",
        "invite_cta": "Uitnodiging accepteren",
        "invite_expires": "Deze uitnodiging verloopt op {date}.",
        "invite_ignore": "Verwachtte je deze uitnodiging niet, dan kun je deze e-mail negeren.",
        "accepted_subject": "{email} heeft je uitnodiging voor {org} geaccepteerd",
        "accepted_body": "{email} heeft je uitnodiging geaccepteerd en is nu lid van {org}.",
        "reminder_subject": "Herinnering: {inviter} nodigt je uit voor {org}",
        "reminder_body": "{inviter} heeft je uitgenodigd om lid te worden van het account {org} en wacht nog op "
        "je antwoord.",
        "reminder_days_left_one": "Deze uitnodiging verloopt over 1 dag, op {date}.",
        "reminder_days_left_other": "Deze uitnodiging verloopt over {days} dagen, op {date}.",
        "reminder_last": "Dit is de laatste herinnering.",
        "reminder_ignore": "Wil je geen lid worden, dan kun je deze e-mail negeren: de uitnodiging verloopt dan "
        "vanzelf.",
        "expired_inviter_subject": "Je uitnodiging voor {email} is verlopen",
        "expired_inviter_body": "{email} heeft je uitnodiging voor {org} niet op tijd geaccepteerd, dus ze is "
        "verlopen.",
        "expired_inviter_license": "De licentie die ze vasthield is weer vrij.",
        "expired_inviter_next": "Wil je het opnieuw proberen, nodig {email} dan opnieuw uit vanuit de lijst met "
        "uitnodigingen.",
        "page_title_confirm": "Lid worden van {org}",
        "page_lead": "{inviter} nodigt je ({email}) uit om lid te worden van het account {org}.",
        "page_changes": "Wat er verandert",
        "page_change_join": "Je account wordt onderdeel van {org}; je meldt je aan zoals voorheen.",
        "page_change_sub": "Je eigen abonnement stopt zodra je lid wordt.",
        "page_change_new": "Er wordt een gebruiker in {org} gemaakt voor {email}; je meldt je aan met dit adres.",
        "page_change_free": "Je gratis account wordt gesloten; je vergaderingen, opnames en instellingen gaan mee.",
        "page_money": "Het ongebruikte deel van je abonnement is {amount} waard.",
        "page_money_zero": "Je huidige periode is voorbij, er valt niets terug te betalen.",
        "page_choose": "Wat moet er met {amount} gebeuren?",
        "page_refund": "Terugbetalen op {method}",
        "page_credit": "Als tegoed overmaken naar {org}",
        "page_final": "Deze keuze is definitief: je kunt haar achteraf niet wijzigen.",
        "page_accept": "Accepteren en lid worden van {org}",
        "page_choice_required": "Kies wat er met het ongebruikte deel van je abonnement moet gebeuren.",
        "result_title": "Welkom bij {org}",
        "result_body": "Je bent nu lid van {org}. Meld je aan zoals voorheen.",
        "result_refund": "Een terugbetaling van {amount} op {method} is aangevraagd.",
        "result_credit": "{amount} is als tegoed overgemaakt naar {org}.",
        "refused_title": "Deze uitnodiging kan niet worden geaccepteerd",
        "refused_unknown_link": "Deze uitnodigingslink is niet geldig. Controleer of je de hele link hebt gekopieerd.",
        "refused_already_accepted": "Deze uitnodiging is al geaccepteerd.",
        "refused_revoked": "Deze uitnodiging is door de organisatie ingetrokken.",
        "refused_expired": "Deze uitnodiging is verlopen; vraag {inviter} om haar opnieuw te sturen.",
        "refused_not_pending": "Deze uitnodiging kan niet meer worden geaccepteerd.",
        "refused_outstanding_invoices": "Je account heeft openstaande facturen van {amount}. Betaal die eerst "
        "en open deze link daarna opnieuw: de uitnodiging blijft voor je openstaan.",
        "refused_account_has_other_users": "Je account heeft nog andere gebruikers. Verwijder hen eerst en "
        "open deze link daarna opnieuw.",
        "refused_no_license_available": "{org} heeft geen vrije licentie meer. Vraag {inviter} er een toe te "
        "voegen en open deze link daarna opnieuw.",
        "refused_already_member": "Je bent al lid van {org}.",
        "refused_choice_required": "Kies wat er met het ongebruikte deel van je abonnement moet gebeuren.",
        "language_switch": "English",
    },
}


def language(value: str | None) -> str:
    """A supported language for ``value`` ("nl-NL" -> "nl"), English when unknown."""
    code = (value or "").split("-")[0].split("_")[0].lower()
    return code if code in LANGUAGES else "en"


def text(lang: str, key: str, **values: object) -> str:
    template = STRINGS[language(lang)].get(key) or STRINGS["en"][key]
    return template.format(**values)


def date(moment: datetime, lang: str) -> str:
    lang = language(lang)
    return f"{moment.day} {_MONTHS[lang][moment.month - 1]} {moment.year}"


def payment_method(value: str | None) -> str:
    """``visa-4242`` -> ``Visa •••• 4242``; anything else is shown as the masked text it is."""
    if not value:
        return "your payment method"
    brand, _, last4 = value.partition("-")
    if last4.isdigit() and len(last4) == 4:
        return f"{brand.replace('_', ' ').title()} •••• {last4}"
    return value
