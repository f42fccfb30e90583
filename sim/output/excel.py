"""``results.xlsx`` for the analyst (``--excel``): the run's tables as typed Excel sheets.

Sheets, in order:

* ``summary``: the ``summary.csv`` table;
* ``comparison``: :meth:`~sim.experiment.results.Results.compare` (each variant minus
  its base, paired, with Holm-adjusted p-values);
* ``replications``: the ``replications.csv`` table;
* ``run``: ``run.json`` flattened to one ``key, value`` row per leaf (``scenarios.0.seed``).

Numbers are numbers (never text), so they sum and chart; every sheet has its header
row frozen and a filter on it; fractions show as percentages and money with thousands
separators (the cells keep their full value); columns are as wide as their contents.
"""

from __future__ import annotations

import math
import os
from collections.abc import Iterator, Mapping
from typing import TYPE_CHECKING, Any

if TYPE_CHECKING:
    import pandas as pd

    from sim.experiment.results import Results

__all__ = ["SHEETS", "flatten", "write_excel"]

#: The sheets of ``results.xlsx``, in order.
SHEETS = ("summary", "comparison", "replications", "run")

PERCENT = "0.00%"
MONEY = "#,##0.00"
NUMBER = "#,##0.00##"  # two to four decimals (a whole number gets WHOLE)
WHOLE = "#,##0"
# Columns that hold a value in the row's unit (the others keep their own format).
_VALUE_COLUMNS = ("mean", "ci_low", "ci_high", "sd", "value", "base_mean", "diff_mean",
                  "diff_low", "diff_high")  # fmt: skip
_PROBABILITY_COLUMNS = ("p_value", "p_adjusted")
_WHOLE_COLUMNS = ("n", "replication")


def flatten(data: Any, prefix: str = "") -> Iterator[tuple[str, Any]]:
    """``(dotted key, value)`` for every leaf of nested dicts and lists.

    >>> list(flatten({"a": {"b": 1, "c": [2, {"d": None}]}, "e": []}))
    [('a.b', 1), ('a.c.0', 2), ('a.c.1.d', None), ('e', '')]
    """
    if isinstance(data, Mapping):
        items: Any = data.items()
    elif isinstance(data, list | tuple):
        items = enumerate(data)
    else:
        yield prefix, data
        return
    empty = True
    for key, value in items:
        empty = False
        yield from flatten(value, f"{prefix}.{key}" if prefix else str(key))
    if empty and prefix:
        yield prefix, ""


def _number_format(column: str, unit: Any, currency: str) -> str | None:
    if column in _PROBABILITY_COLUMNS:
        return "0.0000"
    if column in _WHOLE_COLUMNS:
        return WHOLE
    if column not in _VALUE_COLUMNS:
        return None
    if unit == "fraction":
        return PERCENT
    if currency and unit == currency:
        return MONEY
    return NUMBER


def _cell(value: Any) -> Any:
    """A value Excel can hold: numbers as numbers, NaN as an empty cell, the rest as text."""
    if value is None:
        return None
    if hasattr(value, "item") and not isinstance(value, str):
        value = value.item()  # numpy scalar
    if isinstance(value, bool | int | str):
        return value
    if isinstance(value, float):
        return value if math.isfinite(value) else None
    return str(value)


def _sheet(book: Any, title: str, table: pd.DataFrame, currency: str) -> None:
    from openpyxl.styles import Alignment, Font, PatternFill
    from openpyxl.utils import get_column_letter

    sheet = book.create_sheet(title)
    columns = [str(c) for c in table.columns]
    sheet.append(columns)
    units = table["unit"].tolist() if "unit" in table.columns else [None] * len(table)
    formats = {c: [_number_format(c, u, currency) for u in units] for c in columns}
    widths = [len(c) for c in columns]
    for r, row in enumerate(table.itertuples(index=False, name=None)):
        values = [_cell(v) for v in row]
        sheet.append(values)
        for c, (column, value) in enumerate(zip(columns, values)):
            style = formats[column][r]
            if style is not None and isinstance(value, int | float) and not isinstance(value, bool):
                if style == NUMBER and float(value).is_integer():
                    style = WHOLE  # "12,833", not "12,833."
                sheet.cell(row=r + 2, column=c + 1).number_format = style
            if r < 500:  # widths from a sample of rows: the first 500 are plenty
                shown = f"{value:,.4f}" if isinstance(value, float) else str(value or "")
                widths[c] = max(widths[c], min(len(shown), 60))
    bold, fill = Font(bold=True), PatternFill("solid", fgColor="E8E8E8")
    for cell in sheet[1]:
        cell.font, cell.fill = bold, fill
        cell.alignment = Alignment(horizontal="center")
    for c, width in enumerate(widths):
        sheet.column_dimensions[get_column_letter(c + 1)].width = width + 2
    sheet.freeze_panes = "A2"
    if len(table):
        sheet.auto_filter.ref = sheet.dimensions


def write_excel(results: Results, path: str | os.PathLike[str]) -> None:
    """Write ``results.xlsx`` (the sheets of :data:`SHEETS`) to ``path``."""
    import pandas as pd
    from openpyxl import Workbook

    currency = results.currency
    book = Workbook()
    book.remove(book.active)
    _sheet(book, "summary", results.summary(), currency)
    comparison = results.compare()
    comparison["significant"] = comparison["significant"].astype(object)
    _sheet(book, "comparison", comparison, currency)
    _sheet(book, "replications", results.replications(), currency)
    record = pd.DataFrame(list(flatten(results.record.as_dict())), columns=["key", "value"])
    _sheet(book, "run", record, currency)
    book.save(os.fspath(path))
