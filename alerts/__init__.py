"""Alerts: detect spikes, correlate them with campaigns, judge campaign/organic/bot/mixed, notify."""
