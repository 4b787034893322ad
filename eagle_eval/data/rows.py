"""Dataset rows whose image columns decode on access (the rows `Task.load_docs` hands out).

Next to the data loading (eagle_eval/data/loading.py): tasks build their docs from these rows, and nothing
here knows the task contract.
"""

from __future__ import annotations

from collections.abc import Callable, Iterator
from functools import partial
from typing import Any


class LazyRow(dict):
    """A dataset row whose image columns are decoded at each access, not when the split is loaded.

    A split of thousands of pictures held decoded would take tens of GB, while Arrow keeps the encoded
    bytes memory-mapped; decoding on use keeps a run's memory flat, and a corrupt picture fails only
    its own sample. Otherwise it behaves as the plain dict `datasets` gives for a row.
    """

    def __init__(self, eager: dict[str, Any], lazy: dict[str, Callable[[], Any]]) -> None:
        super().__init__(eager)
        self._lazy = {key: load for key, load in lazy.items() if key not in eager}

    def __missing__(self, key: str) -> Any:
        if key in self._lazy:
            return self._lazy[key]()
        raise KeyError(key)

    def __contains__(self, key: object) -> bool:
        return dict.__contains__(self, key) or key in self._lazy

    def get(self, key: str, default: Any = None) -> Any:
        return self[key] if key in self else default  # noqa: SIM401 (dict.get bypasses __missing__)

    def __setitem__(self, key: str, value: Any) -> None:
        self._lazy.pop(key, None)
        dict.__setitem__(self, key, value)

    def keys(self) -> list[str]:  # type: ignore[override]
        return [*dict.keys(self), *self._lazy]

    def __iter__(self) -> Iterator[str]:
        return iter(self.keys())

    def __len__(self) -> int:
        return dict.__len__(self) + len(self._lazy)

    def items(self) -> list[tuple[str, Any]]:  # type: ignore[override]
        return [(key, self[key]) for key in self.keys()]

    def values(self) -> list[Any]:  # type: ignore[override]
        return [self[key] for key in self.keys()]

    def copy(self) -> LazyRow:
        return LazyRow(dict(dict.items(self)), dict(self._lazy))


def _is_image_feature(feature: Any) -> bool:
    import datasets

    if isinstance(feature, datasets.Image):
        return True
    inner = getattr(feature, "feature", None)  # List / Sequence / LargeList of images
    return inner is not None and _is_image_feature(inner)


def lazy_rows(dataset: Any) -> list[LazyRow]:
    """Every row of a `datasets.Dataset`, its image columns left encoded until used."""
    image_columns = [name for name, feature in dataset.features.items() if _is_image_feature(feature)]
    plain = dataset.remove_columns(image_columns) if image_columns else dataset
    loaders = {name: ImageColumn(dataset, name) for name in image_columns}
    return [
        LazyRow(row, {name: partial(column.decode, index) for name, column in loaders.items()})
        for index, row in enumerate(plain)
    ]


class ImageColumn:
    """One image column of a dataset, decoded row by row on demand.

    Decoding goes through `eagle_eval.data.images.decode_image` (full decode, pixel limit), so an
    undecodable, truncated or oversized picture raises ImageDecodeError for its own sample only.
    """

    def __init__(self, dataset: Any, name: str) -> None:
        self.name = name
        # The arrow format hands back the stored {bytes, path} without decoding.
        self._encoded = dataset.select_columns([name]).with_format("arrow")

    def decode(self, index: int) -> Any:
        value = self._encoded[index].column(self.name)[0].as_py()
        return _decode_cell(value, f"column {self.name!r} of row {index}")


def _decode_cell(value: Any, where: str) -> Any:
    from eagle_eval.data.images import decode_image

    if value is None:
        return None
    if isinstance(value, list):
        return [_decode_cell(item, f"{where}[{i}]") for i, item in enumerate(value)]
    source = value.get("bytes") or value.get("path")
    if source is None:
        return None
    return decode_image(source, where=where)
