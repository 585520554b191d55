"""The commands of ``digestbot``, one module per noun; :mod:`bot.cli` builds the parser
and hands each parsed command to its function here (``handler(args, out) -> status``)."""
