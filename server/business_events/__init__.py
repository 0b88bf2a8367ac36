"""Business events (joined, purchased, tier changed, tags, heat alerts, date sweeps) that journeys start from.

Written by the domain that makes the change, in its own transaction, and read by `server.automations`.
It imports nothing but the tables, so any domain can write one without depending on the automations.
"""
