"""Imported by Python at start when this directory is on PYTHONPATH (`support.store_limits`): caps the
working stores' sqlite connections of a stage process started by a fault test."""

from support.store_limits import apply_page_limit_from_environment

apply_page_limit_from_environment()
