"""Judging: jurors score works against a challenge's rubric while it is voting."""
