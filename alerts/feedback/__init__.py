"""Feedback: on-call's corrections of verdicts and campaigns, the review of past verdicts, silences.

May import ``alerts.incidents``, ``alerts.judgement`` and ``store``; commands and pages call it.
"""
