"""Campaigns as CSV: one column per field, lists joined by ``;``; read row by row and written back."""

from __future__ import annotations

import csv
import io

from campaigns.model import FIELDS, Campaign, CampaignError, Row, check_rows, check_size, row_of

FORMULA_STARTS = ("=", "+", "-", "@", "\t", "\r")  # what a spreadsheet runs as a formula (OWASP)


def neutralise(cell: str) -> str:
    """A cell a spreadsheet shows as text: a formula start (or a quote before one) gets a leading quote."""
    if cell.startswith(FORMULA_STARTS) or (cell.startswith("'") and cell[1:2] in (*FORMULA_STARTS, "'")):
        return "'" + cell
    return cell


def restore(cell: str) -> str:
    """The cell as it was before ``neutralise`` (export and import round-trip)."""
    if cell.startswith("'") and cell[1:2] in (*FORMULA_STARTS, "'"):
        return cell[1:]
    return cell


def rows_from_csv(text: str, *, name: str = "campaigns CSV") -> list[Row]:
    """Each row of a CSV campaign list (lists separated by ``;``)."""
    check_size(text, name)
    try:
        reader = csv.DictReader(io.StringIO(text.replace("\0", "")))
        header = reader.fieldnames
        if not header or "name" not in header or "start" not in header:
            raise CampaignError(f"{name}: the header must name at least the columns name and start "
                                f"(allowed columns: {', '.join(FIELDS)})")
        records = list(reader)
    except csv.Error as exc:
        raise CampaignError(f"{name} is not a readable CSV file: {exc}") from None
    check_rows(records, name)
    out: list[Row] = []
    for row_no, row in enumerate(records, start=2):
        if None in row:
            out.append(CampaignError(f"{name}, row {row_no}: more values than header columns"))
            continue
        values = {k: restore(v) for k, v in row.items() if k is not None and v not in (None, "")}
        if values:
            out.append(row_of(values, f"{name}, row {row_no}"))
    return out


def campaigns_to_csv(campaigns: list[Campaign]) -> str:
    """Export campaigns as CSV, one column per field, lists joined by ``;`` (the form CSV import reads back)."""
    out = io.StringIO()
    writer = csv.DictWriter(out, fieldnames=FIELDS, lineterminator="\n")
    writer.writeheader()
    for c in campaigns:
        row = c.to_json_dict()
        writer.writerow({k: neutralise(";".join(v) if isinstance(v, list) else "" if v is None else str(v))
                         for k, v in row.items() if k in FIELDS})
    return out.getvalue()
