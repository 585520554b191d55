"""Several ``digestbot run`` processes, one bot: what they coordinate outside the store.

* :mod:`bot.cluster.leader` -- which process runs the schedule, the feed polls, story
  grouping and the housekeeping jobs (one at a time, by a PostgreSQL advisory lock);
* :mod:`bot.cluster.redis` -- the connection to the shared Redis of ``[cluster]
  redis_url``;
* :mod:`bot.cluster.limiter` -- the send rates every process shares (global and per chat);
* :mod:`bot.cluster.state` -- the short-lived state every process must see: button
  tokens, per-chat quotas and the administrators' cache.

Each has an in-memory form (one process, the default) and a shared one; docs/cluster.md
says what runs where.
"""
