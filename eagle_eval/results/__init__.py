"""The results document (results.json), the samples files, and the views over many results.

Owns the document's schema and atomic writes, samples/scores files, reference (published) rows,
rankings and the table formats (terminal, markdown, LaTeX, CSV, JSON), submissions files and server
scores. May import core, api, data, provenance, stats. Read first: document.py.
"""
