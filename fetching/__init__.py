"""Fetching from outside (feeds, material media): what may be reached, and how.

Imports no project package: ingest/ and poster/ both use it.
"""
