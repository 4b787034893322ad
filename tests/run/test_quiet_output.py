"""A run's terminal is the progress display and the table: warnings go to the run's log file, and our own
code raises none (transformers' `past_key_values` deprecation in particular, which broke the bars): the
eagle-tiny run in fresh interpreters with every warning shown is tests/run/test_determinism.py's."""

from __future__ import annotations

import warnings

from eagle_eval.run.log import RUN_LOG_FILENAME


def test_a_warning_raised_during_a_run_goes_to_the_run_log_not_the_terminal(toy_world, toy_run, tmp_path, monkeypatch):
    answer = toy_world.adapter.generate

    def noisy(requests):
        warnings.warn("a library's deprecation notice", FutureWarning, stacklevel=1)
        return answer(requests)

    monkeypatch.setattr(toy_world.adapter, "generate", noisy)
    with warnings.catch_warnings():
        warnings.simplefilter("always", FutureWarning)
        result = toy_run("--limit", "4")
    assert result.code == 0, result.err
    assert "deprecation notice" not in result.err + result.out
    (run_dir,) = (tmp_path / "runs").iterdir()
    log = (run_dir / RUN_LOG_FILENAME).read_text()
    assert "FutureWarning: a library's deprecation notice" in log
