"""Detection: find rises, drops and error bursts in the 10 s buckets, per site and per slice.

The robust and time-of-day baselines (``baseline``, ``seasonal_history``), the online spike
detector (``detect``), arrivals that lead a surge (``arrivals``) and the slices by actor,
referrer and landing page (``slices``). May import ``store``; nothing of judgement, incidents,
notify, feedback, collectors or pages.
"""
