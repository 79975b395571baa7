"""Streamlit pages, their query functions (store → data frame) and chart builders (data frame → Altair)."""
