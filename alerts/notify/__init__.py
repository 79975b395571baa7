"""Notify: tell on-call of new, changed and resolved incidents and of campaigns ahead.

``dispatch`` decides what to send (silences, hold, what each channel was told), ``message``
writes it, and one module per receiver sends it (``apprise_channel`` for email and chat,
``alertmanager``). May import ``alerts.incidents`` and ``store``; nothing of detection or pages.
"""
