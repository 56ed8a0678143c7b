"""Mentor profiles, mentor suggestions for newcomers and mentorships."""
