"""What a run read and with which model: revisions, content hashes, the lock file, drift, model identity.

May import core. Used by data (pinned reading), results (pinned marks) and the run (fingerprints,
pins). Read first: revisions.py (the `Provenance` record), then lockfile.py.
"""
