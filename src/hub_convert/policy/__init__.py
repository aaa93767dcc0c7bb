"""Tolerances, verdicts and the policy file."""
