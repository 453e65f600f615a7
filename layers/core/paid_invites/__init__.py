"""paid-account-invites: the shared package (domain rules, money, persistence, mail, workflow).

Dependencies point inward: ``invitations``, ``proration``, ``accounts`` and ``money`` are pure rules;
``store``, ``mail``, ``pages``, ``workflow`` and ``events`` are adapters; ``service`` ties them together
for the Lambda handlers.
"""
