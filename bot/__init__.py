"""digestbot: news articles in, short digests out, delivered over Telegram.

The flow, one module per step: ``articles`` (seed files to clean articles; ``extract``
for HTML pages, ``fetch`` for the web) → ``summarizer`` (a few sentences per article)
→ ``store`` (SQLite, the source of truth; ``catalog`` keeps it in step with the seeds)
→ ``digest`` (what a chat gets, split into messages) → ``jobs`` and ``delivery`` (when
it is due, as ``schedule`` computes, and sending it at Telegram's limits) → the
Telegram edge (``telegram`` assembles the application, ``handlers`` answer commands
with the texts of ``replies``). ``config`` reads the TOML file and ``cli`` is the
command line over all of them. The README's "How it fits together" has the full map.
"""

__version__ = "0.1.0"
