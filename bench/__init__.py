"""Benchmarks for peer-rooms, each beside a bare python-socketio baseline (DESIGN §8).

`python -m bench` runs them all; `python -m bench cross-process` runs one.
"""
