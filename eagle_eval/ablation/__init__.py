"""Vision-expert knock-outs and blind runs: the spec, applying it in a run, and the ablation table.

May import results and below. Read first: spec.py.
"""
