"""Generation settings shared by the run and the model adapters: `--gen-kwargs`, decoding rows, sampling.

May import core only. Model adapters import it to apply the same settings the run records.
Read first: gen_kwargs.py.
"""
