"""Helpline: a privacy-first backend for anonymous, end-to-end encrypted chat helplines."""

__version__ = "0.1.0"
