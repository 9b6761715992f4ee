"""Offline training of the stance classifier: data loading, project-written examples, the training run.

Nothing here runs in the serving path; ``processors.model`` imports only ``hypotheses`` from this package.
"""
