"""The stancewatch application: the command line that wires the stages together."""

__version__ = "0.1.0"
