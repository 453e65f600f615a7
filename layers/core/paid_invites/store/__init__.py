"""Persistence: the only place that knows DynamoDB (pynamodb models, expressions and update actions).

``models`` maps the tables and ``mapping`` their items to domain values; ``repository`` reads (and holds the
conditional UpdateItem and TransactWriteItems helpers); ``transactions`` holds the multi-item writes (invite,
accept, settle, close); ``sends`` the writes of a send and a resend; ``schedule`` the reminder cadence,
bounces and expiry notices; ``suppressions`` the addresses no mail goes to; ``import_records`` the bulk
import's records; ``members`` an account's members (the list, a removal); ``settlements`` the ledger entries'
billing answers and the invitation's settlement state. The use cases call these functions, named for what they
do, and never build an expression themselves.
"""
