"""The stance board: a web page over the ``stances`` and ``alerts`` topics (its own consumer group)."""
