"""Member profiles, the member directory, roles and personal access tokens."""
