"""digestbot: news articles in, short digests out, delivered over Telegram.

The flow, one module per step: ``articles`` (seed files to clean articles) →
``summarizer`` (a few sentences per article) → ``digest`` (what a chat gets,
split into messages) → ``telegram`` (commands and delivery). ``store`` keeps
everything in SQLite, ``schedule`` decides when each digest is due, ``config``
reads the TOML file and ``cli`` is the command line over all of them.
"""

__version__ = "0.1.0"
