"""Anthologies of challenge works, their EPUB books and the works' share cards."""
