"""The command and button handlers, one module per family of commands.

:mod:`bot.telegram.handlers.common` holds what they share (running store calls off the
event loop, replying in the right topic, the admin check).
"""

from __future__ import annotations
