"""The ingest stage of stancewatch: feeds -> ``articles``.

feeds (feed list) -> fetch (the only httpx user) -> parse (feedparser -> clean values) -> dedup / urls
-> poller (publish, then state) with state (SQLite), schedule (next-poll rules), politeness (per host),
service (APScheduler wiring), publish (lazy Kafka publisher), metrics, commands (CLI).
"""
