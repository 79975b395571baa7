"""Judgement: what a detected surge is (campaign, organic, bot, mixed) and what to block.

``classify`` splits the excess by actor, ``correlate`` matches it with the campaign calendar,
``verdict`` weighs the evidence into a verdict with confidence and plain words,
``block`` suggests networks or rate limits
that spare people, crawlers and mail scanners. May import ``alerts.detection``, ``store``,
``campaigns`` and ``reference``; nothing of incidents, notify, feedback, collectors or pages.
"""
