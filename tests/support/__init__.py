"""Test support: stand-in services, model builders, fixtures made by the real toolchain."""
