"""Builders shared by tests of several packages (on pytest's pythonpath as `support`)."""
