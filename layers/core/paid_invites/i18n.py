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
        "invite_message": "{inviter} wrote:",
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
        "page_product": "Account invitations",
        "page_language_nav": "Language",
        "page_title_confirm": "Join {org}",
        "page_lead": "{inviter} invites you to join the {org} account.",
        "page_facts": "About this invitation",
        "page_fact_inviter": "Invited by",
        "page_fact_org": "Organization",
        "page_fact_email": "Your e-mail address",
        "page_fact_seat": "You join as",
        "page_seat_licensed": "Licensed user",
        "page_seat_basic": "Basic user",
        "page_changes": "What changes for you",
        "page_change_join": "Your account joins {org}; you sign in as before.",
        "page_change_new": "A user in {org} is created for {email}; you sign in with this address.",
        "page_change_moves": "Your profile, meetings, recordings, contacts and settings move with you.",
        "page_change_sub": "Your own subscription ends when you join.",
        "page_change_free": "Your free account is closed; your meetings, recordings and settings move with you.",
        "page_money": "The unused part of your subscription is worth {amount}. You choose below what happens with it.",
        "page_money_refund_only": "The unused part of your subscription, {amount}, is refunded to {method}. "
        "{org} is billed in another currency, so it cannot be transferred as credit.",
        "page_money_zero": "Your current period is used up, so there is nothing to pay back.",
        "page_choose": "What should happen with {amount}?",
        "page_refund": "Refund {amount} to {method}",
        "page_refund_hint": "The money goes back to the payment method of your own subscription.",
        "page_credit": "Transfer {amount} as credit to {org}",
        "page_credit_hint": "{org} can use the credit for its invoices; you get no refund.",
        "page_final_strong": "This choice is final.",
        "page_final": "It cannot be changed after you accept.",
        "page_accept": "Accept and join {org}",
        "page_not_yet": "Nothing changes until you press this button. "
        "If you did not expect this invitation, you can close this page.",
        "page_error_title": "Please check",
        "page_choice_required": "Choose what should happen with the unused part of your subscription.",
        "page_amount_changed_title": "The amount has changed",
        "page_amount_changed": "Your subscription changed since you opened this page: its unused part is now "
        "worth {amount}. Nothing has changed yet. Check the amount below and accept again.",
        "page_amount_changed_other": "Your subscription changed since you opened this page. Nothing has changed "
        "yet. Check below what joining now means for you and accept again.",
        "result_title": "Welcome to {org}",
        "result_body": "You are now a member of {org}. Sign in as before.",
        "result_body_new": "You are now a member of {org}. Sign in with {email}.",
        "result_what": "What happened",
        "result_refund": "A refund of {amount} to {method} has been requested.",
        "result_credit": "{amount} has been transferred as credit to {org}.",
        "result_sub_ended": "Your own subscription has ended.",
        "result_nothing": "There was nothing to settle.",
        "result_close": "You can close this page.",
        "result_continue": "Continue",
        "page_message": "{inviter} wrote:",
        "refused_title": "This invitation cannot be accepted",
        "refused_context": "Invitation from {inviter} to join {org}.",
        "refused_what_to_do": "What you can do",
        "refused_amount_due": "Amount due",
        "refused_other_users": "Other users in your account",
        "refused_heading_unknown_link": "This link does not work",
        "refused_unknown_link": "This invitation link is not valid. Check that you copied the whole link from "
        "the e-mail.",
        "refused_todo_unknown_link": "If it still does not work, ask the person who invited you to send the "
        "invitation again.",
        "refused_heading_already_accepted": "This invitation has already been used",
        "refused_already_accepted": "This invitation has already been accepted.",
        "refused_todo_already_accepted": "If you accepted it, you are a member of {org}: sign in as before. "
        "Nothing else is needed.",
        "refused_heading_revoked": "This invitation was withdrawn",
        "refused_revoked": "This invitation was withdrawn by the organization.",
        "refused_todo_revoked": "If you think this is a mistake, ask {inviter} to invite you again.",
        "refused_heading_expired": "This invitation has expired",
        "refused_expired": "This invitation has expired; ask {inviter} to resend it.",
        "refused_todo_expired": "You will get a new e-mail with a new link.",
        "refused_heading_not_pending": "This invitation is closed",
        "refused_not_pending": "This invitation can no longer be accepted.",
        "refused_todo_not_pending": "Ask {inviter} to invite you again.",
        "refused_heading_outstanding_invoices": "First pay your open invoices",
        "refused_outstanding_invoices": "Your account has outstanding invoices of {amount}. Pay them first, "
        "then open this link again: the invitation stays open for you.",
        "refused_todo_outstanding_invoices": "Pay the open invoices of your own account, then open the link in the "
        "e-mail again. Nothing has changed yet.",
        "refused_heading_account_has_other_users": "Your account still has other users",
        "refused_account_has_other_users": "Your account still has other users. Remove them first, then "
        "open this link again.",
        "refused_todo_account_has_other_users": "Only an account without other users can join {org}. Remove the "
        "other users from your account, then open the link in the e-mail again.",
        "refused_heading_no_license_available": "No license left in {org}",
        "refused_no_license_available": "{org} has no free license left. Ask {inviter} to add one, then open "
        "this link again.",
        "refused_todo_no_license_available": "The invitation stays open until it expires. Nothing has changed yet.",
        "refused_heading_already_member": "You are already a member",
        "refused_already_member": "You are already a member of {org}.",
        "refused_todo_already_member": "Sign in as before. Nothing else is needed.",
        "refused_heading_choice_required": "Please check",
        "refused_choice_required": "Choose what should happen with the unused part of your subscription.",
        "refused_todo_choice_required": "Open the link in the e-mail again and choose.",
        "refused_heading_amount_changed": "The amount has changed",
        "refused_amount_changed": "Your subscription changed since you opened the page. Nothing has changed yet.",
        "refused_todo_amount_changed": "Open the link in the e-mail again, check the new amount and accept again.",
        "refused_heading_try_again": "One moment, please",
        "refused_try_again": "We could not complete this just now. Nothing has changed yet.",
        "refused_todo_try_again": "Open the link in the e-mail again in a minute and accept once more.",
        "refused_heading_unreadable_request": "This request could not be read",
        "refused_unreadable_request": "The form that reached us could not be read. Nothing has changed.",
        "refused_todo_unreadable_request": "Open the link in the invitation e-mail again and accept from that page.",
        "refused_heading_own_account_is_organization": "Your account is an organization",
        "refused_own_account_is_organization": "You own {own_org}, an organization account. Joining {org} would "
        "close it, so the invitation cannot be accepted with it.",
        "refused_todo_own_account_is_organization": "First transfer the ownership of {own_org} to someone else, "
        "or close it (withdraw its open invitations, cancel its licenses and use up or pay out its credit). "
        "Then open the link in the e-mail again: the invitation stays open until it expires.",
        "refused_heading_organization_closed": "{org} is closed",
        "refused_organization_closed": "The {org} account has been closed, so its invitations can no longer be "
        "accepted.",
        "refused_todo_organization_closed": "Nothing has changed for you. If you still want to join, ask {inviter} "
        "how to reach the organization now.",
        "refused_heading_own_account_closed": "Your account is closed",
        "refused_own_account_closed": "Your own account is no longer active, so it cannot join {org}.",
        "refused_todo_own_account_closed": "Contact support to reopen your account, then open the link in the "
        "e-mail again. Nothing has changed yet.",
        "page_sign_in": "Sign in to accept",
        "page_sign_in_as": "Sign in as {invited}",
        "page_sign_in_why": "Only the invited person can accept: sign in with {invited} (or create your account "
        "with this address). What joining means for your own subscription is shown once you are signed in.",
        "page_sign_in_nothing": "Signing in changes nothing: you still choose and accept on the next page.",
        "page_wrong_account_title": "You are signed in as someone else",
        "page_wrong_account": "You are signed in as {signed_in_as}, but this invitation is for {invited}. "
        "Nothing has changed.",
        "refused_heading_sign_in_required": "Sign in to accept",
        "refused_sign_in_required": "Only the invited person can accept this invitation, and you are not signed in "
        "(or your sign-in has ended). Nothing has changed.",
        "refused_todo_sign_in_required": "Sign in again: you come back to this invitation.",
        "refused_heading_wrong_account": "You are signed in as someone else",
        "refused_wrong_account": "This invitation is for another person. Nothing has changed.",
        "refused_todo_wrong_account": "Sign in as the invited person; the invitation stays open.",
        "refused_heading_csrf_failed": "This form has expired",
        "refused_csrf_failed": "The page you sent was not the one we gave you for this sign-in. Nothing has changed.",
        "refused_todo_csrf_failed": "Open the link in the e-mail again and accept from that page.",
        "refused_heading_sign_in_failed": "Signing in did not complete",
        "refused_sign_in_failed": "The sign-in took too long or was begun in another browser. Nothing has changed.",
        "refused_todo_sign_in_failed": "Sign in again from the invitation, in this browser.",
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
        "invite_message": "{inviter} schreef:",
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
        "page_product": "Accountuitnodigingen",
        "page_language_nav": "Taal",
        "page_title_confirm": "Lid worden van {org}",
        "page_lead": "{inviter} nodigt je uit om lid te worden van het account {org}.",
        "page_facts": "Over deze uitnodiging",
        "page_fact_inviter": "Uitgenodigd door",
        "page_fact_org": "Organisatie",
        "page_fact_email": "Je e-mailadres",
        "page_fact_seat": "Je wordt",
        "page_seat_licensed": "Gebruiker met licentie",
        "page_seat_basic": "Basisgebruiker",
        "page_changes": "Wat er voor je verandert",
        "page_change_join": "Je account wordt onderdeel van {org}; je meldt je aan zoals voorheen.",
        "page_change_new": "Er wordt een gebruiker in {org} gemaakt voor {email}; je meldt je aan met dit adres.",
        "page_change_moves": "Je profiel, vergaderingen, opnames, contacten en instellingen gaan met je mee.",
        "page_change_sub": "Je eigen abonnement stopt zodra je lid wordt.",
        "page_change_free": "Je gratis account wordt gesloten; je vergaderingen, opnames en instellingen gaan mee.",
        "page_money": "Het ongebruikte deel van je abonnement is {amount} waard. Hieronder kies je wat ermee gebeurt.",
        "page_money_refund_only": "Het ongebruikte deel van je abonnement, {amount}, wordt terugbetaald op {method}. "
        "{org} betaalt in een andere valuta, dus het kan niet als tegoed worden overgemaakt.",
        "page_money_zero": "Je huidige periode is voorbij, er valt niets terug te betalen.",
        "page_choose": "Wat moet er met {amount} gebeuren?",
        "page_refund": "{amount} terugbetalen op {method}",
        "page_refund_hint": "Het geld gaat terug naar de betaalmethode van je eigen abonnement.",
        "page_credit": "{amount} als tegoed overmaken naar {org}",
        "page_credit_hint": "{org} kan het tegoed gebruiken voor zijn facturen; je krijgt niets terugbetaald.",
        "page_final_strong": "Deze keuze is definitief.",
        "page_final": "Je kunt haar niet meer wijzigen nadat je hebt geaccepteerd.",
        "page_accept": "Accepteren en lid worden van {org}",
        "page_not_yet": "Er verandert niets tot je op deze knop drukt. "
        "Verwachtte je deze uitnodiging niet, dan kun je deze pagina sluiten.",
        "page_error_title": "Controleer dit even",
        "page_choice_required": "Kies wat er met het ongebruikte deel van je abonnement moet gebeuren.",
        "page_amount_changed_title": "Het bedrag is veranderd",
        "page_amount_changed": "Je abonnement is veranderd sinds je deze pagina opende: het ongebruikte deel is nu "
        "{amount} waard. Er is nog niets veranderd. Controleer het bedrag hieronder en accepteer opnieuw.",
        "page_amount_changed_other": "Je abonnement is veranderd sinds je deze pagina opende. Er is nog niets "
        "veranderd. Controleer hieronder wat lid worden nu voor je betekent en accepteer opnieuw.",
        "result_title": "Welkom bij {org}",
        "result_body": "Je bent nu lid van {org}. Meld je aan zoals voorheen.",
        "result_body_new": "Je bent nu lid van {org}. Meld je aan met {email}.",
        "result_what": "Wat er is gebeurd",
        "result_refund": "Een terugbetaling van {amount} op {method} is aangevraagd.",
        "result_credit": "{amount} is als tegoed overgemaakt naar {org}.",
        "result_sub_ended": "Je eigen abonnement is gestopt.",
        "result_nothing": "Er viel niets te verrekenen.",
        "result_close": "Je kunt deze pagina sluiten.",
        "result_continue": "Verder",
        "page_message": "{inviter} schreef:",
        "refused_title": "Deze uitnodiging kan niet worden geaccepteerd",
        "refused_context": "Uitnodiging van {inviter} om lid te worden van {org}.",
        "refused_what_to_do": "Wat je kunt doen",
        "refused_amount_due": "Openstaand bedrag",
        "refused_other_users": "Andere gebruikers in je account",
        "refused_heading_unknown_link": "Deze link werkt niet",
        "refused_unknown_link": "Deze uitnodigingslink is niet geldig. Controleer of je de hele link uit de e-mail "
        "hebt gekopieerd.",
        "refused_todo_unknown_link": "Werkt hij nog steeds niet, vraag dan degene die je uitnodigde om de "
        "uitnodiging opnieuw te sturen.",
        "refused_heading_already_accepted": "Deze uitnodiging is al gebruikt",
        "refused_already_accepted": "Deze uitnodiging is al geaccepteerd.",
        "refused_todo_already_accepted": "Heb jij haar geaccepteerd, dan ben je lid van {org}: meld je aan zoals "
        "voorheen. Je hoeft verder niets te doen.",
        "refused_heading_revoked": "Deze uitnodiging is ingetrokken",
        "refused_revoked": "Deze uitnodiging is door de organisatie ingetrokken.",
        "refused_todo_revoked": "Denk je dat dit een vergissing is, vraag {inviter} dan om je opnieuw uit te nodigen.",
        "refused_heading_expired": "Deze uitnodiging is verlopen",
        "refused_expired": "Deze uitnodiging is verlopen; vraag {inviter} om haar opnieuw te sturen.",
        "refused_todo_expired": "Je krijgt dan een nieuwe e-mail met een nieuwe link.",
        "refused_heading_not_pending": "Deze uitnodiging is gesloten",
        "refused_not_pending": "Deze uitnodiging kan niet meer worden geaccepteerd.",
        "refused_todo_not_pending": "Vraag {inviter} om je opnieuw uit te nodigen.",
        "refused_heading_outstanding_invoices": "Betaal eerst je openstaande facturen",
        "refused_outstanding_invoices": "Je account heeft openstaande facturen van {amount}. Betaal die eerst "
        "en open deze link daarna opnieuw: de uitnodiging blijft voor je openstaan.",
        "refused_todo_outstanding_invoices": "Betaal de openstaande facturen van je eigen account en open daarna de "
        "link in de e-mail opnieuw. Er is nog niets veranderd.",
        "refused_heading_account_has_other_users": "Je account heeft nog andere gebruikers",
        "refused_account_has_other_users": "Je account heeft nog andere gebruikers. Verwijder hen eerst en "
        "open deze link daarna opnieuw.",
        "refused_todo_account_has_other_users": "Alleen een account zonder andere gebruikers kan lid worden van "
        "{org}. Verwijder de andere gebruikers uit je account en open daarna de link in de e-mail opnieuw.",
        "refused_heading_no_license_available": "Geen licentie meer vrij bij {org}",
        "refused_no_license_available": "{org} heeft geen vrije licentie meer. Vraag {inviter} er een toe te "
        "voegen en open deze link daarna opnieuw.",
        "refused_todo_no_license_available": "De uitnodiging blijft openstaan tot ze verloopt. Er is nog niets "
        "veranderd.",
        "refused_heading_already_member": "Je bent al lid",
        "refused_already_member": "Je bent al lid van {org}.",
        "refused_todo_already_member": "Meld je aan zoals voorheen. Je hoeft verder niets te doen.",
        "refused_heading_choice_required": "Controleer dit even",
        "refused_choice_required": "Kies wat er met het ongebruikte deel van je abonnement moet gebeuren.",
        "refused_todo_choice_required": "Open de link in de e-mail opnieuw en maak een keuze.",
        "refused_heading_amount_changed": "Het bedrag is veranderd",
        "refused_amount_changed": "Je abonnement is veranderd sinds je de pagina opende. Er is nog niets veranderd.",
        "refused_todo_amount_changed": "Open de link in de e-mail opnieuw, controleer het nieuwe bedrag en accepteer "
        "opnieuw.",
        "refused_heading_try_again": "Een moment geduld",
        "refused_try_again": "Dit lukte nu even niet. Er is nog niets veranderd.",
        "refused_todo_try_again": "Open de link in de e-mail over een minuut opnieuw en accepteer nog een keer.",
        "refused_heading_unreadable_request": "Dit verzoek kon niet worden gelezen",
        "refused_unreadable_request": "Het formulier dat ons bereikte kon niet worden gelezen. Er is niets veranderd.",
        "refused_todo_unreadable_request": "Open de link in de uitnodigingsmail opnieuw en accepteer vanaf die pagina.",
        "refused_heading_own_account_is_organization": "Je account is een organisatie",
        "refused_own_account_is_organization": "Je bent eigenaar van {own_org}, een organisatieaccount. Lid worden "
        "van {org} zou dat account sluiten, dus de uitnodiging kan er niet mee worden geaccepteerd.",
        "refused_todo_own_account_is_organization": "Draag eerst het eigendom van {own_org} over aan iemand anders, "
        "of sluit het (trek de openstaande uitnodigingen in, zeg de licenties op en gebruik of laat het tegoed "
        "uitbetalen). Open daarna de link in de e-mail opnieuw: de uitnodiging blijft openstaan tot ze verloopt.",
        "refused_heading_organization_closed": "{org} is gesloten",
        "refused_organization_closed": "Het account {org} is gesloten, dus de uitnodigingen ervan kunnen niet meer "
        "worden geaccepteerd.",
        "refused_todo_organization_closed": "Voor jou is er niets veranderd. Wil je nog steeds lid worden, vraag "
        "{inviter} dan hoe je de organisatie nu bereikt.",
        "refused_heading_own_account_closed": "Je account is gesloten",
        "refused_own_account_closed": "Je eigen account is niet meer actief en kan dus geen lid worden van {org}.",
        "refused_todo_own_account_closed": "Neem contact op met support om je account te heropenen en open daarna "
        "de link in de e-mail opnieuw. Er is nog niets veranderd.",
        "page_sign_in": "Aanmelden om te accepteren",
        "page_sign_in_as": "Aanmelden als {invited}",
        "page_sign_in_why": "Alleen de uitgenodigde persoon kan accepteren: meld je aan met {invited} (of maak je "
        "account met dit adres). Wat lid worden betekent voor je eigen abonnement zie je zodra je bent aangemeld.",
        "page_sign_in_nothing": "Aanmelden verandert niets: je kiest en accepteert op de volgende pagina.",
        "page_wrong_account_title": "Je bent aangemeld als iemand anders",
        "page_wrong_account": "Je bent aangemeld als {signed_in_as}, maar deze uitnodiging is voor {invited}. "
        "Er is niets veranderd.",
        "refused_heading_sign_in_required": "Meld je aan om te accepteren",
        "refused_sign_in_required": "Alleen de uitgenodigde persoon kan deze uitnodiging accepteren, en je bent niet "
        "aangemeld (of je aanmelding is verlopen). Er is niets veranderd.",
        "refused_todo_sign_in_required": "Meld je opnieuw aan: je komt terug bij deze uitnodiging.",
        "refused_heading_wrong_account": "Je bent aangemeld als iemand anders",
        "refused_wrong_account": "Deze uitnodiging is voor iemand anders. Er is niets veranderd.",
        "refused_todo_wrong_account": "Meld je aan als de uitgenodigde persoon; de uitnodiging blijft open.",
        "refused_heading_csrf_failed": "Dit formulier is verlopen",
        "refused_csrf_failed": "De pagina die je verstuurde is niet die we je bij deze aanmelding gaven. "
        "Er is niets veranderd.",
        "refused_todo_csrf_failed": "Open de link in de e-mail opnieuw en accepteer vanaf die pagina.",
        "refused_heading_sign_in_failed": "Aanmelden is niet gelukt",
        "refused_sign_in_failed": "Het aanmelden duurde te lang of is in een andere browser begonnen. "
        "Er is niets veranderd.",
        "refused_todo_sign_in_failed": "Meld je opnieuw aan vanuit de uitnodiging, in deze browser.",
        "language_switch": "English",
    },
}


def language(value: str | None) -> str:
    """A supported language for ``value`` ("nl-NL" -> "nl"), English when unknown."""
    code = (value or "").split("-")[0].split("_")[0].lower()
    return code if code in LANGUAGES else "en"


def text(lang: str, key: str, **values: object) -> str:
    template = STRINGS[language(lang)].get(key) or STRINGS["en"][key]
    said = template.format(**values)
    for value in values.values():  # "... of Acme B.V.." -> "... of Acme B.V."
        if isinstance(value, str) and value.endswith("."):
            said = said.replace(value + ".", value)
    return said


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
