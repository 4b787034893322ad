"""The records and small helpers every layer shares; imports nothing else of eagle_eval.

Owns the records that cross boundaries (a task's `Doc`, a model's `Request`, `ModelInfo`, the scored
`ScoredDoc`), the table of units, and helpers with no concern of their own: reading text input, writing
output files atomically and naming them in errors, URLs without secrets, prompt parts, help texts,
option types. Read first: records.py.
"""
