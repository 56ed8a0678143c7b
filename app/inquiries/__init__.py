"""Prospective clients' inquiries to creators open for commissions."""
