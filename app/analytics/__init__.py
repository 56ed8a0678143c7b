"""Engagement analytics for organizers, read from the recognition activity log."""
