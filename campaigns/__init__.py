"""Campaigns: the announced-campaign model and its JSON, CSV and ICS files.

Below every other package (the state DB stores campaigns in this model); imports nothing of
the project.
"""
