"""The regression gate (`eagle-eval compare`) and power analysis (`eagle-eval power`).

May import results and below. Read first: gate.py.
"""
