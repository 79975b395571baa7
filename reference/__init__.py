"""Reference data the detector relies on, apart from the code that uses it and from the simulator.

Published network ranges (search-engine crawlers, Apple iCloud Private Relay egress, mail-security
vendors, the big clouds) and user-agent signatures (mail scanners, headless browsers, HTTP
libraries, app toolkits, search engines), each kept in ``reference/data/`` in the format its
publisher uses, dated, with its source in ``reference/README.md``. This package imports nothing
of the project: collectors and alerts read it; the simulator never does.
``./surgewatch reference refresh`` updates the files that have a machine-readable feed.
"""
