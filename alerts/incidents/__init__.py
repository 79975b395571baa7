"""Incidents: the stored record of a surge, drop or error burst, and how it changes over time.

``model`` is the incident and its feedback; ``outages`` turns drops and error bursts into
incidents; ``verdict_stability`` holds a live incident's verdict still while its
surge grows. May import ``alerts.detection``, ``alerts.judgement`` and ``store``.
"""
