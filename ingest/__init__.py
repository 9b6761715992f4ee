"""The ingest stage of stancewatch."""
