"""Sweeps: a models × tasks matrix described in one YAML file, and the plan of what each cell needs.

Owns the sweep file (`spec.py`: parsing and validation, one error line per problem) and the cell
plan (`plan.py`: each (model, task) cell's state and why, read from the run folders under the
sweep's output root without loading a model). Executors, jobs and their status come later.

Sits above `run` (it builds `RunConfig`s and uses the run's fingerprints) and below `cli`; imports
run, results, api, provenance, generation and core, never the CLI.
"""
