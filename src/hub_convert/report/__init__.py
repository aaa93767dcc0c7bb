"""The report.json contract, the base comparison, and its rendering. Imports nothing heavy."""
