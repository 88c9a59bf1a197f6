"""Crisis phrase data, one file per language (``crisis_<lang>.txt``).

Read by :mod:`moderation.phrasebook`; the format is described there. Kept as
package data so it ships in the wheel and loads with ``importlib.resources``.
"""
