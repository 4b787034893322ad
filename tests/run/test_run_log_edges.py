"""Without a terminal, a long run still says how far it is; run.log ends with how the run ended."""

from __future__ import annotations

from eagle_eval.data.loading import DataError
from eagle_eval.run.progress import RunDisplay
from tests.conftest import ToyQA


def _last_log_line(run_dir) -> str:
    return (run_dir / "run.log").read_text(encoding="utf-8").strip().splitlines()[-1]


def test_progress_lines_at_intervals_when_bars_are_off(monkeypatch):
    monkeypatch.delenv("EAGLE_EVAL_PROGRESS_EVERY_S", raising=False)
    clock, lines = [0.0], []
    display = RunDisplay(["toyqa"], enabled=False, get_time=lambda: clock[0], heartbeat=lines.append)
    with display, display.line("generating toyqa", 500, generated=0) as bar:
        for step in range(1, 5):
            clock[0] = 30.0 * step  # a beat each 60 s of work: at 60 and 120
            display.progress.update(bar, advance=50, generated=50 * step)
    assert lines == ["generating toyqa: 100/500 (20%), 1.67 samples/s, 1m 00s so far",
                     "generating toyqa: 200/500 (40%), 1.67 samples/s, 2m 00s so far"]


def test_no_progress_lines_with_bars_on_or_turned_off(monkeypatch):
    lines: list[str] = []
    clock = [0.0]
    for enabled, every in ((True, "60"), (False, "0")):
        monkeypatch.setenv("EAGLE_EVAL_PROGRESS_EVERY_S", every)
        display = RunDisplay(["t"], enabled=enabled, get_time=lambda: clock[0], heartbeat=lines.append)
        with display, display.line("generating t", 10) as bar:
            clock[0] += 1000
            display.progress.advance(bar)
    assert lines == []


def test_a_run_without_a_terminal_logs_its_progress(toy_run, toy_world, tmp_path, monkeypatch):
    monkeypatch.setenv("EAGLE_EVAL_PROGRESS_EVERY_S", "1e-9")
    result = toy_run("--run-id", "x")
    assert result.code == 0, result.err
    log = (tmp_path / "runs" / "x" / "run.log").read_text(encoding="utf-8")
    assert "generating toyqa: " in log and "/10 (" in log
    assert "generating toyqa: " in result.err


def test_run_log_ends_with_how_the_run_ended(toy_run, toy_world, tmp_path, monkeypatch):
    run_dir = tmp_path / "runs" / "x"
    assert toy_run("--run-id", "x", "--limit", "3").code == 0
    assert _last_log_line(run_dir).endswith(f"run finished (exit 0): 1 task(s) recorded, 0 failed sample(s); {run_dir / 'results.json'}")

    toy_world.new_adapter(fail_doc_ids={3})
    assert toy_run("--run-id", "x", "--limit", "5").code == 3
    assert "run finished (exit 3): 1 task(s) recorded, 1 failed sample(s)" in _last_log_line(run_dir)

    def interrupted(requests):
        raise KeyboardInterrupt

    monkeypatch.setattr(toy_world.new_adapter(), "generate", interrupted)
    assert toy_run("--run-id", "x").code == 130
    assert "run interrupted (exit 130); run the same command again to resume" in _last_log_line(run_dir)

    monkeypatch.setattr(ToyQA, "load_docs", lambda self, data_root=None: (_ for _ in ()).throw(DataError("gone")))
    assert toy_run("--run-id", "x").code == 2
    assert _last_log_line(run_dir).endswith("run stopped by an error: DataError: gone")


def test_library_bars_are_off_with_ours():
    import huggingface_hub.utils as hub_utils
    import transformers

    from eagle_eval.run.model import quiet_library_bars

    try:
        quiet_library_bars()
        assert hub_utils.are_progress_bars_disabled()
        assert not transformers.utils.logging.is_progress_bar_enabled()
    finally:
        hub_utils.enable_progress_bars()
        transformers.utils.logging.enable_progress_bar()


def test_score_without_a_terminal_logs_its_progress(eagle, toy_world, tmp_path, monkeypatch):
    import json

    monkeypatch.setenv("EAGLE_EVAL_PROGRESS_EVERY_S", "1e-9")
    predictions = tmp_path / "p.jsonl"
    predictions.write_text("".join(json.dumps({"doc_id": i, "prediction": str(2 * i)}) + "\n" for i in range(10)))
    result = eagle("score", "--task", "toyqa", "--predictions", predictions, "--no-progress")
    assert result.code == 0, result.err
    assert "scoring toyqa: " in result.err and "/10 (" in result.err
