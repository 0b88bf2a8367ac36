"""Automations: business events, journeys of steps that run themselves, control groups and their lift.

A business change writes an event in its own transaction (`events.emit`); date triggers are found by
set-based sweeps that write events too; workers enrol members from events and run due steps, each step's
effects and its successor committed together (docs/automations.md).
"""
