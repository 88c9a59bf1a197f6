"""The rooms domain: plain Python over a `Store` and a `Bus` (no aiohttp, no socketio).

`core.py` holds what every operation shares; `joining.py`, `posting.py` and
`moderating.py` are the operations members and facilitators perform.
"""
