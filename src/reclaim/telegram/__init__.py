"""Capture a Telegram chat the investigator's own account has joined: every message into a case, its media
straight into the case's encrypted vault, a custody entry per message at capture time, and ``--follow`` for
new, edited and deleted messages. Telethon (``reclaim[telegram]``) is imported only by ``client.make_client``;
everything else works on the small client interface in ``client`` so tests can serve Telethon's own types."""
