"""Deadline reminders: a registry of deadline sources, a daily scan, and one digest per person per day."""
