"""Shared kernel of stancewatch: message schemas, settings, Kafka wiring, metrics and retry policy.

This package imports no stage (ingest, processors, alerts); every stage may import it.
"""
