"""Capacity: forecast an announced campaign's traffic and recommend scaling with its cost per lead."""
