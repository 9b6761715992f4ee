"""The alerts stage of stancewatch."""
