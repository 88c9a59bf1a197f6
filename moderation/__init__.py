"""Pure moderation policy: no I/O, no clock reads, no imports from ``server/``.

Every rule takes a snapshot of what it needs (roles, room flags, ``now``) and
returns a decision; a refusal is always a :class:`moderation.decisions.Denial`.
"""
