"""The use cases: each reads, decides with the rules, writes through ``store`` and moves the workflow.

Admin API: ``invite``, ``invitations_query`` (list, one), ``resend``, ``revoke``, ``account_summary``,
``list_members`` and ``remove_member`` (``access`` holds who may manage what). The invitee's link:
``accepting`` (view, accept, the hand-over to the workflow). The workflow's tasks: ``delivery`` (the invitation
e-mail, the inviter's notices), ``settling`` (the money and its requests) and ``expiry`` (the Expire step). The
scheduled ``sweep`` (reminders, expiry, reconcile of acceptances, unanswered billing requests) and the SES events
(``ses_events``). External billing: ``settlement_outcomes`` (billing's answers) and ``settlement_retry`` (an
operator's new request of failed ones).
"""
