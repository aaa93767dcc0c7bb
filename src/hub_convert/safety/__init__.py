"""Untrusted input: unsafe ops, graph scans, bounded reads."""
