"""The spreadsheet engine: reading xlsx and csv files, cell values, writing tables, and the
base resource.

Every resource of the project (directives.resources, reports.resources) builds on
`SpreadsheetResource`, so that they all read and write cells the same way:

- headers are Chinese on export (in the active language), and either language on import;
- dates, whole numbers, choices and union codes are read as union offices write them;
- a resource made for a user reads and writes only within that user's scope;
- importing is all or nothing, and importing the same file twice changes nothing;
- text cells that a spreadsheet would run as a formula are neutralised on export.

The modules, by concern (import each name from the module that defines it):

- `cells`: reading and neutralising cell values, and the widgets of the columns;
- `files`: reading .xlsx and .csv files into datasets, within the size limits;
- `writing`: tables written as .xlsx and .csv files and downloads, with flat memory;
- `resources`: `SpreadsheetResource`, and importing a dataset all or nothing.

The app's screens do not import a request's file themselves: an upload becomes a
`reports.models.SpreadsheetJob`, whose run (`reports.jobs`, started by `reports.tasks`)
reads the file (`files.read_spreadsheet`) and imports it (`resources.import_dataset`), a
dry run for the preview, at once or in the background worker. Exports too big to send
at once are written by the same jobs. The library's `import` and `export` management
commands and the admin use the resources directly.
"""

# The formats are named on the command line (`manage.py export directives.spreadsheets.CSV
# …`, docs/spreadsheets.md): that name stays.
from .files import CSV, XLSX

__all__ = ["CSV", "XLSX"]
