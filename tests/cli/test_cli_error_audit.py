"""Every command, every family of bad input: exit 2 and one line on stderr naming the thing and the fix,
never a traceback (docs/cli.md, "Exit codes"). Each family is one table over the commands that take
such an input; the real CLI runs in-process (`eagle` fixture) and nothing loads a model unless the
family is about checkpoints.
"""

from __future__ import annotations

import builtins
import errno
import io
import json
import shutil
from pathlib import Path

import pytest

from tests.conftest import one_line_exit_2

DATA_ROOT = Path(__file__).resolve().parents[2] / "data" / "hub"


@pytest.fixture
def inputs(tmp_path, write_run):
    """Good inputs for every command, so that each case breaks exactly one thing."""
    results = write_run("m", {"pope": ("POPE", 80.0)}, folder="run")
    predictions = tmp_path / "predictions.jsonl"
    predictions.write_text("".join(json.dumps({"doc_id": i, "prediction": "yes"}) + "\n" for i in range(12)))
    lock = tmp_path / "eagle-eval.lock.json"
    lock.write_text(json.dumps({"lock_version": 1, "datasets": [], "models": []}))
    folder = tmp_path / "a-folder"
    folder.mkdir()
    a_file = tmp_path / "a-file"
    a_file.write_text("x")
    config = tmp_path / "run.yaml"
    config.write_text("model: replay\ntasks: pope\n")
    return {"Y": config, "R": results, "RD": results.parent, "P": predictions, "L": lock, "DIR": folder, "FILE": a_file,
            "D": DATA_ROOT, "O": tmp_path / "out", "T": tmp_path}


def argv(template: str, inputs: dict) -> list[str]:
    return [part.format(**inputs) for part in template.split()]


SCORE = "score --task pope --data-root {D} --no-progress"
REPLAY = "run --model replay --tasks pope --data-root {D} --output-dir {O} --no-progress"

# --- option values ---------------------------------------------------------------------------------

BAD_VALUES = [
    (f"{REPLAY} --predictions {{P}} --limit 0", "--limit: expected a count of docs"),
    (f"{REPLAY} --predictions {{P}} --batch-size many", "--batch-size: expected a positive integer"),
    (f"{REPLAY} --predictions {{P}} --seed x", "--seed: invalid int value: 'x'"),
    (f"{REPLAY} --predictions {{P}} --model-arg novalue", "expected KEY=VALUE, got 'novalue'"),
    (f"{REPLAY} --predictions {{P}} --dtype fp33", "unknown dtype 'fp33'"),
    (f"{REPLAY} --predictions {{P}} --device gpu", "NVIDIA GPUs are 'cuda'"),
    (f"{REPLAY} --predictions {{P}} --ablate-replacement noise", "unknown choice 'noise'; choose from mean, zeros"),
    (f"{REPLAY} --predictions {{P}} --ablate-calibration-images 0", "expected a positive integer, got '0'"),
    ("run --model eagle-tiny --tasks pope --model-arg truncate_inputs=maybe", "is not a switch; use true or false"),
    ("run --model eagle-tiny --tasks pope --model-arg colour=red", "valid keys: truncate_inputs, vision_batch_size"),
    ("table {R} --format docx", "unknown choice 'docx'"),
    ("table {R} --uncertainty sd", "unknown choice 'sd'; did you mean se?"),
    ("compare {R} --baseline {R} --alpha 2", "--alpha 2.0: give a level between 0 and 1"),
    ("compare {R} --baseline {R} --alpha nan", "--alpha: expected a finite number, got 'nan'"),
    ("compare {R} --baseline {R} --max-drop pope=lots", "--max-drop: cannot read 'pope=lots'"),
    ("compare {R} --baseline {R} --max-drop inf", "--max-drop: 'inf' is not a finite number"),
    ("compare {R} --baseline {R} --max-drop -1", "is negative; tolerances are drops"),
    ("compare {R} --baseline {R} --gate vibes", "unknown choice 'vibes'"),
    ("power {R} --drop nan", "--drop: expected a finite number, got 'nan'"),
    ("power {R} --drop -1", "--drop -1.0: give the drop to detect as a positive number"),
    ("power {R} --power 1.5", "--power 1.5: give a probability between 0 and 1"),
    ("report {RD} --thumbnail-size 4", "--thumbnail-size 4 is too small; use 16 pixels or more"),
    ("report {RD} --image-budget inf", "--image-budget: expected a finite number, got 'inf'"),
    ("report {RD} --format pdf", "unknown choice 'pdf'"),
    ("record-server-score {R} --task pope --value lots", "--value: expected a number, got 'lots'"),
    ("record-server-score {R} --task pope --value nan", "--value: expected a finite number, got 'nan'"),
    ("models show eagle-tiny --flops --text-tokens -1", "--text-tokens: expected an integer from 0 to 65536"),
    ("models show eagle-tiny --flops --new-tokens 99999999", "--new-tokens: expected an integer from 1 to 65536"),
    ("bench --samples 0", "--samples: expected a positive integer, got '0'"),
    ("bench --batch-sizes 8,x", "--batch-sizes: expected positive integers separated by commas"),
    ("bench --device gpu", "NVIDIA GPUs are 'cuda'"),
    ("bench --peak-tflops nan", "--peak-tflops: expected a finite number, got 'nan'"),
    ("bench --dtype fp33", "invalid choice: 'fp33'"),
    ("run --model replay --tasks pope --ouptut-dir x", "unrecognized arguments: --ouptut-dir (did you mean --output-dir?)"),
    ("tabel {R}", "unknown choice 'tabel'; did you mean table?"),
    (f"{REPLAY} --predictions {{P}} --offset -1", "--offset: expected an integer >= 0, got '-1'"),
    (f"{REPLAY} --predictions {{P}} --limit 1.5", "--limit: expected a count of docs (an integer >= 1) or a fraction"),
    ("run --model eagle-tiny --tasks pope --gen-kwargs colour=red", "--gen-kwargs: unknown key(s) colour"),
    ("run --model eagle-tiny --tasks pope --gen-kwargs temperature=hot", "temperature=hot must be a number"),
    (f"{REPLAY} --predictions {{P}} --wandb-args nokey", "--wandb-args: 'nokey' is not KEY=VALUE"),
    ("run --tasks pope", "the following arguments are required: --model"),
]


@pytest.mark.parametrize(("command", "says"), BAD_VALUES, ids=[c for c, _ in BAD_VALUES])
def test_a_bad_option_value(eagle, inputs, command, says):
    assert says in one_line_exit_2(eagle(*argv(command, inputs)))


# --- unknown names ---------------------------------------------------------------------------------

UNKNOWN_NAMES = [
    ("run --model eagle-tiny --tasks popex", "unknown task 'popex'"),
    ("run --model eagle-tinyy --tasks pope", "unknown model 'eagle-tinyy'"),
    (f"{SCORE} --task popex --predictions {{P}}", "unknown task 'popex'"),
    ("lock --tasks popex", "unknown task 'popex'"),
    ("lock --tasks pope --model nosuch", "unknown model 'nosuch'"),
    ("models show nosuch", "unknown model 'nosuch'"),
    ("table {R} --reference nosuch", "unknown reference 'nosuch'"),
    ("report {RD} --reference nosuch", "unknown reference 'nosuch'"),
    ("compare {R} --baseline {R} --tasks gqa", "task(s) gqa not in both runs; common tasks: pope"),
    ("compare {R} --baseline {R} --max-drop popx=1", "--max-drop names unknown task(s) popx"),
    ("power {R} --tasks gqa", "task(s) gqa not in both runs"),
    ("record-server-score {R} --task gqa --value 50", "no results for task 'gqa' (tasks in this file: pope)"),
    ("record-server-score {R} --task pope --value 50", "pope was scored here, not by an evaluation server"),
    (f"{REPLAY} --predictions {{P}} --ablate-expert sam", "--ablate-expert: the model replay has no vision experts"),
    ("bench --preset nosuch", "unknown model 'nosuch'"),
]


@pytest.mark.parametrize(("command", "says"), UNKNOWN_NAMES, ids=[c for c, _ in UNKNOWN_NAMES])
def test_an_unknown_name(eagle, inputs, command, says):
    assert says in one_line_exit_2(eagle(*argv(command, inputs)))


# --- missing files, folders where files belong, files where folders belong --------------------------

MISSING = [
    (f"{SCORE} --predictions {{T}}/none.jsonl", "predictions file not found: {T}/none.jsonl"),
    (f"{REPLAY} --predictions {{T}}/none.jsonl", "predictions not found: {T}/none.jsonl"),
    (f"{REPLAY} --predictions {{P}} --lock {{T}}/none.json", "lock file {T}/none.json not found; write one with"),
    (f"{REPLAY} --predictions {{P}} --data-root {{T}}/none", "--data-root {T}/none: no such folder"),
    ("run --model eagle-tiny --tasks pope --data-root {D} --output-dir {O} --model-path {T}/none",
     "--model-path {T}/none does not exist; pass the checkpoint folder"),
    ("table {T}/none.json", "results file not found: {T}/none.json"),
    ("compare {T}/none --baseline {R}", "results file not found: {T}/none"),
    ("compare {R} --baseline {T}/none", "results file not found: {T}/none"),
    ("power {T}/none", "results file not found: {T}/none"),
    ("report {T}/none", "results file not found: {T}/none (no such file or folder)"),
    ("report {RD} --baseline {T}/none", "results file not found: {T}/none (no such file or folder)"),
    ("report {RD} --data-root {T}/none", "--data-root {T}/none is not a folder"),
    ("record-server-score {T}/none --task vqav2 --value 1", "results file not found: {T}/none"),
    ("lock --tasks pope --model eagle-tiny --model-path {T}/none --data-root {D} --output {O}.json",
     "no weight files found in {T}/none"),
]

WRONG_KIND = [
    (f"{SCORE} --predictions {{DIR}}", "--predictions {DIR} is a folder; give a JSONL file"),
    ("run --model eagle-tiny --tasks pope --data-root {D} --output-dir {O} --model-path {FILE}",
     "--model-path {FILE} is a file; pass the checkpoint folder"),
    (f"{SCORE} --predictions {{P}} --output {{DIR}}", "--output {DIR} is a folder; give a file path"),
    (f"{SCORE} --predictions {{P}} --output {{FILE}}/res.json", "{FILE} is a file, not a folder"),
    (f"{REPLAY} --predictions {{DIR}}", "no *.jsonl predictions files in {DIR}"),
    (f"{REPLAY} --predictions {{P}} --lock {{DIR}}", "lock file {DIR} is a folder"),
    ("run --model replay --tasks pope --predictions {P} --data-root {D} --output-dir {FILE}",
     "cannot write the run folder {FILE}/"),
    ("table {DIR}", "no results.json found under {DIR}"),
    ("compare {R} --baseline {R} --json {DIR}", "--json {DIR} is a folder; give a file path"),
    ("report {RD} -o {DIR}", "--output {DIR} is a folder; give a file path"),
    ("report {RD} --image-dir {FILE}", "cannot write the --image-dir folder {FILE}"),
    ("record-server-score {DIR} --task vqav2 --value 1", "results file not found: {DIR}/results.json"),
    ("lock --tasks pope --data-root {D} --output {DIR}", "--output {DIR} is a folder; give a file path"),
    ("run --model eagle-tiny --tasks pope --data-root {D} --output-dir {O} --model-path {DIR}",
     "{DIR} has no config.json"),
    ("bench --json {DIR}", "--json {DIR} is a folder; give a file path"),
    ("run --config {DIR}", "--config {DIR} is a folder; give the YAML file"),
    ("run --config {T}/none.yaml", "--config {T}/none.yaml: file not found"),
]


@pytest.mark.parametrize(("command", "says"), MISSING + WRONG_KIND, ids=[c for c, _ in MISSING + WRONG_KIND])
def test_a_missing_path_or_one_of_the_wrong_kind(eagle, inputs, command, says):
    assert says.format(**inputs) in one_line_exit_2(eagle(*argv(command, inputs)))


# --- files this user may not read -----------------------------------------------------------------

UNREADABLE = [
    (f"{SCORE} --predictions {{P}}", "P"),
    (f"{REPLAY} --predictions {{P}}", "P"),
    (f"{REPLAY} --predictions {{P}} --lock {{L}}", "L"),
    ("table {R}", "R"),
    ("compare {R} --baseline {R}", "R"),
    ("power {R}", "R"),
    ("record-server-score {R} --task pope --value 1", "R"),
    ("report {RD}", "R"),
    ("run --config {Y}", "Y"),
]


@pytest.mark.parametrize(("command", "key"), UNREADABLE, ids=[c for c, _ in UNREADABLE])
def test_a_file_that_cannot_be_read(eagle, inputs, monkeypatch, command, key):
    # What mode 000 does to a user's process (the tests may run as root, whom file modes do not stop).
    target, real_open = Path(inputs[key]).resolve(), builtins.open

    def guarded(file, *args, **kwargs):
        if isinstance(file, str | Path) and Path(file).resolve() == target:
            raise PermissionError(errno.EACCES, "Permission denied", str(file))
        return real_open(file, *args, **kwargs)

    monkeypatch.setattr(builtins, "open", guarded)
    monkeypatch.setattr(io, "open", guarded)
    line = one_line_exit_2(eagle(*argv(command, inputs)))
    assert str(inputs[key]) in line and "ermission denied" in line


# --- malformed content and wrong schema -------------------------------------------------------------

def _results_with(inputs, change) -> Path:
    document = json.loads(inputs["R"].read_text())
    change(document)
    path = inputs["T"] / "changed" / "results.json"
    path.parent.mkdir(exist_ok=True)
    path.write_text(json.dumps(document))
    return path


RESULTS_DAMAGE = {
    "empty": lambda path: path.write_text(""),
    "cut-short": lambda path: path.write_text(path.read_text()[:40]),
    "latin-1": lambda path: path.write_bytes("{\"n\": \"caf\xe9\"}".encode("latin-1")),
    "a-list": lambda path: path.write_text("[1, 2]"),
    "nested-deep": lambda path: path.write_text("[" * 100_000 + "]" * 100_000),
}
RESULTS_SCHEMA = {
    "future-schema": (lambda d: d.update(schema_version=99), "schema_version 99 is not supported"),
    "no-results": (lambda d: d.pop("results"), "missing field 'results'"),
    "value-as-text": (lambda d: d["results"]["pope"]["headline"].update(value="high"), "field 'value' has type str"),
    "null-count": (lambda d: d["results"]["pope"].update(n_samples=None), "field 'n_samples' has type NoneType"),
}
READS_RESULTS = ["table {X}", "compare {X} --baseline {R}", "compare {R} --baseline {X}", "power {X}",
                 "record-server-score {X} --task pope --value 1", "report {XD}"]


@pytest.mark.parametrize("damage", sorted(RESULTS_DAMAGE))
@pytest.mark.parametrize("command", READS_RESULTS)
def test_a_results_file_that_is_not_json(eagle, inputs, command, damage):
    path = _results_with(inputs, lambda d: None)
    RESULTS_DAMAGE[damage](path)
    line = one_line_exit_2(eagle(*argv(command, {**inputs, "X": path, "XD": path.parent})))
    assert str(path) in line and ("eagle-eval run" in line or "iconv" in line)


@pytest.mark.parametrize("change", sorted(RESULTS_SCHEMA))
@pytest.mark.parametrize("command", READS_RESULTS)
def test_a_results_file_of_the_wrong_schema(eagle, inputs, command, change):
    edit, says = RESULTS_SCHEMA[change]
    path = _results_with(inputs, edit)
    line = one_line_exit_2(eagle(*argv(command, {**inputs, "X": path, "XD": path.parent})))
    assert str(path) in line and says in line


PREDICTION_LINES = {
    "not-json": ('{"doc_id": 0, "prediction": ', ":1: invalid JSON"),
    "a-list": ("[0, \"yes\"]", ":1: expected a JSON object, got list"),
    "no-doc-id": ('{"prediction": "yes"}', ":1: 'doc_id' must be a non-negative integer, got None"),
    "text-doc-id": ('{"doc_id": "zero", "prediction": "yes"}', "'doc_id' must be a non-negative integer, got 'zero'"),
    "number-prediction": ('{"doc_id": 0, "prediction": 5}', ":1: 'prediction' must be a string, got int"),
    "unknown-doc": ('{"doc_id": 999, "prediction": "yes"}', ":1: doc_id 999 is not among the 12 docs"),
    "nested-deep": ("[" * 100_000 + "]" * 100_000, ":1: invalid JSON (JSON nested too deeply"),
}


# Replay answers the docs the data has, so a line for a doc the data lacks is no error there (a doc
# without a prediction is a sample error, exit 3); `score` refuses it.
PREDICTION_CASES = [(command, case) for command in (SCORE, REPLAY) for case in sorted(PREDICTION_LINES)
                    if not (command == REPLAY and case == "unknown-doc")]


@pytest.mark.parametrize(("command", "case"), PREDICTION_CASES)
def test_a_malformed_predictions_line_names_file_and_line(eagle, inputs, command, case):
    text, says = PREDICTION_LINES[case]
    path = inputs["T"] / "bad.jsonl"
    path.write_text(text + "\n")
    line = one_line_exit_2(eagle(*argv(f"{command} --predictions {path}", inputs)))
    assert f"{path}{says}" in line or (str(path) in line and says in line)


LOCKS = {
    "not-json": ("{", "is not readable JSON"),
    "latin-1": (b"{\"c\": \"caf\xe9\"}", "not UTF-8 text"),
    "nested-deep": ("[" * 100_000 + "]" * 100_000, "nested too deeply"),
    "a-results-file": (None, "has lock_version None"),
    "future-version": ('{"lock_version": 7}', "has lock_version 7; this eagle-eval reads 1"),
    "entry-not-object": ('{"lock_version": 1, "datasets": [1]}', "has a malformed entry"),
    "entry-incomplete": ('{"lock_version": 1, "datasets": [{"repo": "x"}]}', "has a malformed entry"),
}


@pytest.mark.parametrize("case", sorted(LOCKS))
def test_a_malformed_lock_file(eagle, inputs, case):
    content, says = LOCKS[case]
    path = inputs["T"] / "bad.lock.json"
    if content is None:
        shutil.copy(inputs["R"], path)
    elif isinstance(content, bytes):
        path.write_bytes(content)
    else:
        path.write_text(content)
    line = one_line_exit_2(eagle(*argv(f"{REPLAY} --predictions {{P}} --lock {path}", inputs)))
    assert str(path) in line and says in line


CONFIGS = {
    "not-yaml": ("model: [unclosed\n", "not valid YAML (line 2)"),
    "a-list": ("- model\n- tasks\n", "expected a mapping of run's flags (key: value), got a list"),
    "unknown-key": ("model: replay\nmodle: x\n", "unknown key 'modle'"),
    "bad-value": ("model: replay\ntasks: pope\nlimit: zero\n", "argument --limit: expected a count of docs"),
}


@pytest.mark.parametrize("case", sorted(CONFIGS))
def test_a_malformed_run_config(eagle, inputs, case):
    content, says = CONFIGS[case]
    path = inputs["T"] / "bad.yaml"
    path.write_text(content)
    line = one_line_exit_2(eagle("run", "--config", path))
    assert says in line and (str(path) in line or "--limit" in line)


# --- checkpoints that are damaged or do not fit the architecture ------------------------------------

def _damage_checkpoint(directory: Path, case: str) -> str:
    """Break one file of a copy of the tiny checkpoint; returns what the error must say."""
    if case == "config-not-json":
        (directory / "config.json").write_text('{"hidden')
        return f"{directory / 'config.json'}: not valid JSON"
    if case == "config-not-eagle":
        (directory / "config.json").write_text('{"model_type": "bert"}')
        return "model_type is 'bert', expected 'eagle_llama'"
    if case == "index-without-weight-map":
        (directory / "model.safetensors.index.json").write_text('{"weight_map": 5}')
        return "model.safetensors.index.json has no 'weight_map' object"
    if case == "weights-cut-short":
        shard = sorted(directory.glob("*.safetensors"))[0]
        shard.write_bytes(shard.read_bytes()[:1000])
        return f"corrupt weight file {shard}"
    if case == "weights-of-another-size":
        config = json.loads((directory / "config.json").read_text())
        config["hidden_size"] *= 2
        (directory / "config.json").write_text(json.dumps(config))
        return "does not match the architecture its config.json describes"
    if case == "generation-config-not-json":
        (directory / "generation_config.json").write_text("{")
        return f"{directory / 'generation_config.json'}: not valid JSON"
    if case == "tokenizer-garbage":
        (directory / "tokenizer.model").write_bytes(b"garbage")
        return f"cannot read the tokenizer files in {directory}"
    raise AssertionError(case)


CHECKPOINT_CASES = ["config-not-json", "config-not-eagle", "index-without-weight-map", "weights-cut-short",
                    "weights-of-another-size", "generation-config-not-json", "tokenizer-garbage"]


@pytest.mark.parametrize("case", CHECKPOINT_CASES)
def test_a_damaged_or_mismatched_checkpoint(eagle, inputs, case):
    from eagle_eval.model_adapters.eagle.tiny import ensure_tiny_checkpoint

    directory = inputs["T"] / "checkpoint"
    shutil.copytree(ensure_tiny_checkpoint(), directory)
    says = _damage_checkpoint(directory, case)
    line = one_line_exit_2(eagle("run", "--model", "eagle-tiny", "--tasks", "pope", "--limit", "1", "--no-progress",
                                 "--data-root", DATA_ROOT, "--output-dir", inputs["O"], "--model-path", directory))
    assert says in line and ("download" in line or "Eagle v1" in line or "missing key" in line)


# --- environment settings ---------------------------------------------------------------------------

ENVIRONMENT = [
    ("EAGLE_EVAL_MAX_IMAGE_PIXELS", "many", "EAGLE_EVAL_MAX_IMAGE_PIXELS='many' is not an integer number of pixels"),
    ("EAGLE_EVAL_MAX_IMAGE_PIXELS", "-5", "must be positive"),
    ("EAGLE_EVAL_LOCK_WAIT_S", "soon", "EAGLE_EVAL_LOCK_WAIT_S='soon' must be a number of seconds"),
    ("EAGLE_EVAL_LOCK_WAIT_S", "nan", "EAGLE_EVAL_LOCK_WAIT_S='nan' must be a number of seconds"),
    ("EAGLE_EVAL_DATA_ROOT", "/nonexistent-data-root", "EAGLE_EVAL_DATA_ROOT=/nonexistent-data-root: no such folder"),
]


@pytest.mark.parametrize(("name", "value", "says"), ENVIRONMENT, ids=[f"{n}={v}" for n, v, _ in ENVIRONMENT])
def test_a_bad_environment_setting(eagle, inputs, monkeypatch, name, value, says):
    monkeypatch.setenv(name, value)
    command = "run --model replay --tasks pope --predictions {P} --output-dir {O} --no-progress"
    assert says in one_line_exit_2(eagle(*argv(command, inputs)))


# --- help ---------------------------------------------------------------------------------------------

def test_every_command_has_help_that_prints(eagle):
    from eagle_eval.cli.app import build_parser

    _, commands = build_parser()
    for name in ["", *commands, "models show"]:
        result = eagle(*name.split(), "--help")
        assert result.code == 0 and "Traceback" not in result.err and result.out.strip(), (name, result.err)


# --- a run folder whose samples or scores file is damaged inside --------------------------------------

RUN_FILE_DAMAGE = {
    "line-not-json": (lambda lines: lines.__setitem__(3, '{"task": "pope", broken\n'), "pope.jsonl:4: "),
    "not-utf8": (lambda lines: lines.insert(0, "\udcff\n"), "not UTF-8 text"),
}
READS_RUN_FILES = [
    ("samples", "run --model replay --tasks pope --predictions {P} --data-root {D} --output-dir {T} --run-id run "
                "--no-progress", "delete"),
    ("samples", "run --model replay --tasks pope --predictions {T}/run --data-root {D} --output-dir {O} "
                "--no-progress", ""),
    ("samples", "report {T}/run -o {T}/report.html --no-images", ""),
    ("scores", "compare {T}/run --baseline {T}/run", "re-score"),
]


@pytest.mark.parametrize("damage", sorted(RUN_FILE_DAMAGE))
@pytest.mark.parametrize(("kind", "command", "fix"), READS_RUN_FILES, ids=[c for _, c, _ in READS_RUN_FILES])
def test_a_damaged_samples_or_scores_file_in_a_run_folder(eagle, inputs, kind, command, fix, damage):
    made = eagle(*argv("run --model replay --tasks pope --predictions {P} --data-root {D} --output-dir {T} "
                       "--run-id run --no-progress", inputs))
    assert made.code == 0, made.err
    path = inputs["T"] / "run" / kind / "pope.jsonl"
    lines = path.read_text().splitlines(keepends=True)
    edit, says = RUN_FILE_DAMAGE[damage]
    edit(lines)
    path.write_bytes("".join(lines).encode("utf-8", errors="surrogateescape"))
    line = one_line_exit_2(eagle(*argv(command, inputs)))
    assert str(path) in line and says in line and fix in line
