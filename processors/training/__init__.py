"""Offline training of the stance classifier: data loading, project-written examples, the training run.

Nothing here runs in the serving path, and serving imports nothing from this package: the hypotheses
(``processors.hypotheses``) and the vocabulary (``core.vocabulary``) are serving's, and training uses them.
"""
