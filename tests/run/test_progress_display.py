"""The progress display, rendered on a recording console: the overall task line, rates on new work only."""

from __future__ import annotations

from pathlib import Path

from rich.console import Console

from eagle_eval.api.registry import get_task
from eagle_eval.run import progress as progress_module
from eagle_eval.run.generate import GenerationSettings, generate_task
from eagle_eval.run.log import RUN_LOG_FILENAME
from eagle_eval.run.progress import GENERATE, SCORE, RunDisplay
from eagle_eval.run.runner import RunConfig, run_evaluation
from eagle_eval.run.scoring import ScoreOptions, score_docs


def recording_console() -> Console:
    return Console(record=True, width=160, color_system=None, file=open("/dev/null", "w"))  # noqa: SIM115


def rendered(display: RunDisplay) -> str:
    console = recording_console()
    console.print(display.progress.make_tasks_table(display.progress.tasks))
    return console.export_text()


class Clock:
    def __init__(self) -> None:
        self.now = 0.0

    def __call__(self) -> float:
        return self.now


def test_the_overall_line_names_the_task_of_how_many():
    display = RunDisplay(["textvqa", "pope", "mme"], console=recording_console())
    display.start_task(0)
    display.finish_task()
    display.start_task(1)
    text = rendered(display)
    assert "task 2/3: pope" in text
    assert "1/3" not in text and "ETA" not in text  # the overall line has no count or ETA of its own


def test_a_single_task_run_has_no_overall_line():
    display = RunDisplay(["textvqa"], console=recording_console())
    display.start_task(0)
    with display.line("generating textvqa", 5, kind=GENERATE, generated=0) as row:
        display.progress.update(row, advance=2, generated=2)
        lines = [line for line in rendered(display).splitlines() if line.strip()]
    # The step's line renders, and it is the only line: no "task 1/1" above it.
    assert len(lines) == 1, lines
    assert "generating textvqa" in lines[0] and "2/5" in lines[0] and "task 1/1" not in lines[0]


def test_the_generation_rate_counts_only_samples_generated_in_this_launch():
    clock = Clock()
    display = RunDisplay([], console=recording_console(), get_time=clock)
    # A resumed task: 40 of 50 reused, so the line starts at 40; 10 are generated in 4 s.
    with display.line("generating textvqa", 50, kind=GENERATE, completed=40, generated=0) as line:
        clock.now = 4.0
        display.progress.update(line, advance=10, generated=10)
        text = rendered(display)
    assert "50/50" in text and "2.50 samples/s" in text  # 10 / 4 s, not 50 / 4 s


def test_scoring_lines_show_no_rate():
    clock = Clock()
    display = RunDisplay([], console=recording_console(), get_time=clock)
    with display.line("scoring textvqa", 5000, kind=SCORE) as line:
        clock.now = 0.05
        display.progress.update(line, advance=5000)
        text = rendered(display)
    assert "scoring textvqa" in text and "5000/5000" in text and "samples/s" not in text


def test_resumed_generation_and_scoring_as_the_run_prints_them(toy_world, tmp_path):
    """generate_task and score_docs on the run's display: the finished lines as they are printed."""
    clock = Clock()
    console = recording_console()
    task = get_task("toyqa")
    docs = task.load_docs()
    samples = tmp_path / "run" / "samples" / "toyqa.jsonl"
    generate_task(task, docs[:6], samples, GenerationSettings(toy_world.adapter, 2, show_progress=False))

    class SlowAdapter(type(toy_world.adapter)):
        def generate(self, requests):
            clock.now += 1.0  # one second of this launch per call
            return super().generate(requests)

    told: list[str] = []
    with RunDisplay(["toyqa"], console=console, get_time=clock) as display:
        settings = GenerationSettings(SlowAdapter(), 2, True, display=display, announce=told.append)
        outcomes, _ = generate_task(task, docs, samples, settings)
        score_docs(task, docs, outcomes, ScoreOptions(subset=False), show_progress=True, display=display)
    text = console.export_text()
    assert told == [f"toyqa: 6 of 10 samples reused from {tmp_path / 'run'}, 4 to generate"]
    (generating,) = [line for line in text.splitlines() if "generating toyqa" in line]
    assert "10/10" in generating and "2.00 samples/s" in generating  # 4 new samples in 2 calls of 1 s
    (scoring,) = [line for line in text.splitlines() if "scoring toyqa" in line]
    assert "10/10" in scoring and "samples/s" not in scoring
    assert "checking stored" not in text  # the check line leaves no trace once done


def test_a_multi_task_run_shows_and_logs_each_task_of_how_many(toy_world, tmp_path, monkeypatch):
    console = recording_console()
    monkeypatch.setattr(progress_module, "stderr_console", console)
    config = RunConfig(model="toy-model", tasks=["toyqa", "toypope"], output_dir=tmp_path / "runs", show_progress=True)
    outcome = run_evaluation(config)
    text = console.export_text()
    assert "task 2/2: toypope" in text  # the display's last state, printed when it stops
    for step in ("generating toyqa", "scoring toyqa", "generating toypope", "scoring toypope"):
        assert step in text, step
    log = (Path(outcome.run_dir) / RUN_LOG_FILENAME).read_text()
    assert "task 1/2: toyqa" in log and "task 2/2: toypope" in log
