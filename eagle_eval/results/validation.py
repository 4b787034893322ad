"""The types of a results document's fields, checked once when it is read (docs/results-schema.md).

`document.load_results` parses only what passed these checks, so `table`, `compare` and `report`
never meet a list where an object belongs, a count that is a string, or a number that is NaN or
Infinity (which Python's JSON reader accepts): each is refused with the file and the field's path
(`results['pope'].timings: field 'wall_seconds'`). Fields that older files lack stay optional; a field that is
present must have its documented type.
"""

from __future__ import annotations

import math
from collections.abc import Mapping
from typing import Any

# Each field's allowed kinds, as the schema states them.
_INT, _NUMBER, _STR, _BOOL, _OBJECT, _LIST, _NULL = "int", "number", "str", "bool", "object", "list", "null"

_TIMINGS = {
    "samples_per_second": (_NUMBER, _NULL), "time_to_first_token_s": (_NUMBER, _NULL),
    "wall_seconds": (_NUMBER, _NULL), "tokens_generated": (_INT, _NULL), "tokens_per_second": (_NUMBER, _NULL),
    "samples_generated": (_INT, _NULL), "generation_seconds": (_NUMBER, _NULL), "ttft_calls": (_INT, _NULL),
    "launches": (_INT, _NULL), "samples_reused": (_INT, _NULL),
}
_TASK = {
    "headline": (_OBJECT,), "metrics": (_OBJECT,), "extraction": (_OBJECT,), "judge": (_OBJECT, _NULL),
    "timings": (_OBJECT, _NULL), "server_scored": (_BOOL,), "submission_file": (_STR, _NULL),
    "paper_protocol": (_BOOL,), "sources": (_LIST,), "uncertainty": (_OBJECT, _NULL),
    "calibration": (_OBJECT, _NULL), "scoring_errors": (_LIST,), "aggregation_error": (_STR, _NULL),
    "subset_reason": (_STR, _NULL), "n_input_truncated": (_INT,), "n_dataset_image_markers": (_INT,),
    "n_answers_truncated": (_INT,),
    "model_fingerprint": (_STR, _NULL), "gen_kwargs": (_OBJECT, _NULL), "docs_fingerprint": (_STR, _NULL),
    "scorer": (_STR, _NULL),
}
_HEADLINE = {"metric": (_STR,), "value": (_NUMBER, _NULL), "units": (_STR,)}
_SOURCE = {
    "repo": (_STR,), "config": (_STR, _NULL), "split": (_STR,), "revision": (_STR, _NULL),
    "provenance": (_OBJECT, _NULL), "pinned": (_BOOL, _NULL),
}
_UNCERTAINTY = {
    "version": (_INT,), "unit": (_STR, _NULL), "n_units": (_INT,), "level": (_NUMBER,),
    "headline": (_OBJECT, _NULL), "metrics": (_OBJECT,), "unavailable": (_OBJECT,),
}
_ESTIMATE = {
    "value": (_NUMBER, _NULL), "se": (_NUMBER, _NULL), "ci_low": (_NUMBER, _NULL), "ci_high": (_NUMBER, _NULL),
    "level": (_NUMBER, _NULL), "method": (_STR, _NULL), "n_samples": (_INT, _NULL), "n_units": (_INT, _NULL),
    "resamples": (_INT, _NULL), "seed": (_INT, _NULL), "interval": (_STR, _NULL),
}
_MODEL = {
    "hub_id": (_STR, _NULL), "revision": (_STR, _NULL), "dtype": (_STR, _NULL), "device": (_STR, _NULL),
    "settings": (_OBJECT, _NULL), "extra": (_OBJECT, _NULL), "provenance": (_OBJECT, _NULL),
    "pinned": (_BOOL, _NULL), "weights": (_OBJECT, _NULL), "fingerprint": (_STR, _NULL),
}
_SETTINGS = {
    "batch_size": (_INT, _STR, _NULL), "limit": (_NUMBER, _NULL), "data_root": (_STR, _NULL),
    "model_args": (_OBJECT, _NULL), "offset": (_INT, _NULL), "gen_kwargs": (_OBJECT, _NULL),
    "predict_only": (_BOOL, _NULL),
}
_RUN = {"variant": (_OBJECT, _NULL), "predicted": (_OBJECT,), "software": (_OBJECT,), "hardware": (_OBJECT,)}


def _kind_of(value: Any) -> str:
    if value is None:
        return _NULL
    if isinstance(value, bool):
        return _BOOL
    if isinstance(value, int):
        return _INT
    if isinstance(value, float):
        return _NUMBER
    if isinstance(value, str):
        return _STR
    if isinstance(value, dict):
        return _OBJECT
    return _LIST if isinstance(value, list) else type(value).__name__


def _fits(value: Any, kinds: tuple[str, ...]) -> bool:
    kind = _kind_of(value)
    return kind in kinds or (kind == _INT and _NUMBER in kinds)


def _describe(kinds: tuple[str, ...]) -> str:
    names = {_INT: "an integer", _NUMBER: "a finite number", _STR: "a string", _BOOL: "true or false",
             _OBJECT: "an object", _LIST: "a list", _NULL: "null"}
    return " or ".join(names[kind] for kind in kinds)


def check_fields(obj: Mapping[str, Any], spec: Mapping[str, tuple[str, ...]], where: str) -> None:
    """Each field of `spec` that `obj` holds has one of its kinds; raises ValueError naming the field."""
    for key, kinds in spec.items():
        if key not in obj:
            continue
        value = obj[key]
        if isinstance(value, float) and not math.isfinite(value):
            raise ValueError(f"{where}: field '{key}' is {value!r}, not a number; it must be {_describe(kinds)}")
        if not _fits(value, kinds):
            raise ValueError(f"{where}: field '{key}' has type {_kind_of(value)}; it must be {_describe(kinds)}")


def _check_items(items: list[Any], spec: Mapping[str, tuple[str, ...]], where: str) -> None:
    for index, item in enumerate(items):
        if not isinstance(item, dict):
            raise ValueError(f"{where}[{index}] has type {_kind_of(item)}; it must be an object")
        check_fields(item, spec, f"{where}[{index}]")


def check_task(entry: Mapping[str, Any], where: str) -> None:
    """The fields of one `results` entry (required ones are checked as they are parsed)."""
    check_fields(entry, _TASK, where)
    if isinstance(entry.get("headline"), dict):
        check_fields(entry["headline"], _HEADLINE, f"{where}.headline")
    check_fields(entry.get("timings") or {}, _TIMINGS, f"{where}.timings")
    check_fields(entry.get("extraction") or {}, dict.fromkeys(entry.get("extraction") or {}, (_INT,)),
                 f"{where}.extraction")
    _check_items(entry.get("sources") or [], _SOURCE, f"{where}.sources")
    _check_items(entry.get("scoring_errors") or [], {"error": (_STR, _NULL)}, f"{where}.scoring_errors")
    uncertainty = entry.get("uncertainty")
    if isinstance(uncertainty, dict):
        check_fields(uncertainty, _UNCERTAINTY, f"{where}.uncertainty")
        if isinstance(uncertainty.get("headline"), dict):
            check_fields(uncertainty["headline"], _ESTIMATE, f"{where}.uncertainty.headline")
        for name, estimate in (uncertainty.get("metrics") or {}).items():
            check_fields({name: estimate}, {name: (_OBJECT,)}, f"{where}.uncertainty.metrics")
            check_fields(estimate, _ESTIMATE, f"{where}.uncertainty.metrics[{name!r}]")


def check_run(data: Mapping[str, Any], where: str) -> None:
    """The top level's optional fields and the model's and settings' fields."""
    check_fields(data, _RUN, where)
    for key, spec in (("model", _MODEL), ("settings", _SETTINGS)):
        if isinstance(data.get(key), dict):
            check_fields(data[key], spec, f"{where}: {key}")
    for name, entry in (data.get("predicted") or {}).items():
        check_fields({name: entry}, {name: (_OBJECT,)}, f"{where}: predicted")
