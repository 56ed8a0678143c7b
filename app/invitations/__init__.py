"""Invitation codes for communities that register by invitation only."""
