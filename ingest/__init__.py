"""Bringing material in from outside: RSS/Atom feeds polled on their own schedules."""
