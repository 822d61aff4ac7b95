"""`GET /export/reports.xlsx`: the CSV export as an Excel workbook, for the IOC.

A CSV file opens as one column in a spreadsheet set up for Vietnam (decimal comma, list
separator `;`); a workbook carries its types: numbers, true/false and dates (in Huế's time, as a
spreadsheet has no time zones) open as what they are, whatever the locale. Same columns, filter
and rights as the CSV, no personal data.

openpyxl's write-only workbook keeps memory flat: each batch of rows is written out (in a thread,
the event loop stays free) to a temporary file that is streamed back, then deleted.
"""

from __future__ import annotations

import asyncio
import os
import tempfile
from datetime import datetime
from typing import Any

from openpyxl import Workbook
from openpyxl.cell import Cell, WriteOnlyCell
from openpyxl.styles import Font
from openpyxl.worksheet._write_only import WriteOnlyWorksheet
from starlette.background import BackgroundTask
from starlette.requests import Request
from starlette.responses import FileResponse, Response

from models.messages import t
from models.rules.calendar import TZ
from web.exports.source import CSV_HEADER, ioc_export, line, rows

DATE_FORMAT = "yyyy-mm-dd hh:mm:ss"
MEDIA_TYPE = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


def _local(value: datetime | None) -> datetime | None:
    # Excel has no time zones: the wall-clock time in Huế, as the IOC reads it.
    return value.astimezone(TZ).replace(tzinfo=None) if value else None


def _cell(sheet: WriteOnlyWorksheet, value: Any) -> Cell:
    cell = WriteOnlyCell(sheet, value=value)
    if isinstance(value, str) and value.startswith("="):
        cell.data_type = "s"  # text, never a formula (openpyxl would take "=..." for one)
    elif isinstance(value, datetime):
        cell.number_format = DATE_FORMAT
    return cell


async def reports_xlsx(request: Request) -> Response:
    export = await ioc_export(request, t("The spreadsheet export is for the IOC."))
    if isinstance(export, Response):
        return export
    book = Workbook(write_only=True)
    sheet = book.create_sheet("Phản ánh")
    header = [WriteOnlyCell(sheet, value=name) for name in CSV_HEADER]
    for cell in header:
        cell.font = Font(bold=True)
    sheet.append(header)
    batch: list[dict[str, Any]] = []

    def write(lines: list[dict[str, Any]]) -> None:
        for row in lines:
            sheet.append([_cell(sheet, v) for v in line(
                row, export.categories, export.agencies, export.now, _local)])

    async for row in rows(export.viewer, export.filter, export.now):
        batch.append(row)
        if len(batch) >= 500:
            await asyncio.to_thread(write, batch)
            batch = []
    await asyncio.to_thread(write, batch)
    handle, path = tempfile.mkstemp(suffix=".xlsx")
    os.close(handle)
    await asyncio.to_thread(book.save, path)
    return FileResponse(path, media_type=MEDIA_TYPE, filename="reports.xlsx",
                        background=BackgroundTask(os.unlink, path), headers={
                            "Cache-Control": "private, no-store",
                            "X-Content-Type-Options": "nosniff"})

