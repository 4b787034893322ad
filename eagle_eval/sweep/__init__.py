"""Sweeps: a models × tasks matrix described in one YAML file, run as jobs on an existing scheduler.

Read `plan.py` first: a cell is one (model, task) and its state is read from the run folder that
`eagle-eval run` would use, without loading a model. Then:

    spec.py        the sweep file: parsing and validation, one error line per problem
    plan.py        each cell's state (new, done, partial, failed, stale, rescore, unknown) and why
    jobs.py        cells that need work packed into jobs (one model loaded once) to the time budget
    submission.py  a job written down: its `run --config` file, its job file, its first state
    records.py     the job files under <output_root>/.sweep/ and their states
    worker.py      one job, on any executor: `eagle-eval run` as a child, its state kept current
    executors.py   the interface every executor implements (submit, wait, live), and the executors by kind
    local.py       the local executor: a queue with GPU slots (CUDA_VISIBLE_DEVICES)
    slurm.py       the Slurm executor through submitit: job arrays, requeue on preemption and timeout
    launch.py      `sweep run`: plan, pack, submit, wait
    status.py      `sweep status`: the plan with running and pending cells from the live jobs
    board.py       the leaderboard of the sweep (cells not done left empty and marked), GPU-hours
    publish.py     the board's files, a report per model and an index page

Sits above `run` (it builds the run's configs and reads its fingerprints) and `report`, below `cli`;
imports run, report, results, api, provenance, generation and core, never the CLI. submitit is
imported only by slurm.py, for executor kind slurm (the `slurm` extra).
"""
