"""Annex A child-level records: read a workbook, keep only what the figures need, compute the month's figures."""
