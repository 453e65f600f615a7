"""The largest page each list of the admin API answers: the routes' ``limit`` bounds, which the use cases
also clamp to."""

INVITATIONS = 200
MEMBERS = 200
IMPORTS = 100  # an organization's imports, newest first
IMPORT_RESULTS = 1000  # the per-row outcomes of one import
