"""Who is using Surgewatch and what they may change: identities, roles, local users and sign-in settings.

Sits just above ``store/`` (it keeps users and sessions in the state DB) and below everything that
writes on a person's behalf: the pages, ``alerts.feedback.oncall``, ``alerts.feedback.silences`` and the campaign
actions check an ``Identity``'s role here before they change anything, and audit that identity.
"""
