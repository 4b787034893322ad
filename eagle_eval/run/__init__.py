"""A run, as stages: plan, load the model, then per task generate, merge, score and record.

Owns everything that happens between a command line and a results.json: resolving and checking the
plan, batching, distributed shares, run-directory ownership, resume (fingerprints), progress, logs.
May import every concern package below it, never the CLI. Read first: runner.py (the stages in
order), then plan.py.
"""
