"""Sanggar: the backend of a creative community."""
