"""The processors stage of stancewatch."""
