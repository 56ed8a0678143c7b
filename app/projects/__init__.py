"""Collaborative projects: members and roles, a task board and a progress log."""
