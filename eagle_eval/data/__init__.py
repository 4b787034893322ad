"""A task's data: loading splits from the hub or a data root, files, images, rows, the --limit window.

May import core and provenance (every split read is recorded and checked against the pins). The
bundled sample snapshots are written by fixtures/ (scripts/make_sample_data.py). Read first: loading.py.
"""
