"""Conversation: discussion threads, comments on works, the idea box, announcements, reports."""
