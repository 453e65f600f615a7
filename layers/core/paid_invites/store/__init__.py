"""Persistence: the only place that knows DynamoDB (pynamodb models + the repository)."""
