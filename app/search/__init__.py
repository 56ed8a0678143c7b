"""Search: one index of what can be found, kept in the same transaction as the content."""
