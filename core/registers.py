"""Reading the registers offices really have, before anything is written.

A register comes as ``.xlsx``/``.xlsm``/``.xls``/``.ods`` (read with
python-calamine, which reads every Excel and OpenDocument format) or as
``.csv``/``.tsv``/``.txt`` text. :func:`read_register` reads the whole file
into :class:`Table` s, one per sheet (a text file's rows are read from
the file as they are used, so a register of a million rows is never held
whole):

* **encodings** of text files are decided from the whole file: a BOM says
  UTF-8 or UTF-16; NUL bytes mean UTF-16 without a BOM (every register
  has ASCII digits, which UTF-16 writes with a NUL); text that is valid
  UTF-8 is UTF-8; otherwise charset-normalizer chooses between GB18030
  (GBK is a subset) and Big5, and the whole file must decode in the choice.
  The encoding is named in the import's summary.
* **the header row** is the first row (of the first 30) in which at least
  two cells, and at least half of the filled ones, are known column names
  — so title rows above it (``XX花园项目来访客户登记表``, ``制表日期…``) are
  skipped — or the row ``header_row`` names.
* **merged cells spanning rows** (a date or an agent merged over the
  visits of one day) are filled down: every row of the range holds the
  value of its first cell. Merges across columns only (a title) are left.
* **every sheet** is read, or the ``sheets`` named; a sheet with data but
  no header row is reported in :attr:`Register.skipped` with the reason,
  never silently dropped. Hidden sheets are read like the others.

Row numbers are those the spreadsheet shows (the first row is 1; a CSV
cell with a line break is still one row).
"""

from __future__ import annotations

import codecs
import csv
import itertools
import os
import re
import zipfile
from typing import Any, Callable, Iterable, Iterator

import attrs

from .cells import from_spreadsheet_text
from .errors import LeadcycleError
from .i18n import M_, N_

WORKBOOK_EXTENSIONS = (".xlsx", ".xlsm", ".xls", ".ods")
TEXT_EXTENSIONS = (".csv", ".tsv", ".txt")
#: how far down a sheet the header row is looked for
HEADER_SEARCH_ROWS = 30

# the csv module refuses cells over 131,072 characters by raising mid-file;
# a long cell is a rejected row, so the reader takes any length
csv.field_size_limit(max(csv.field_size_limit(), 2**31 - 1))


@attrs.frozen
class Table:
    """One sheet's register: its header and data rows (blank rows left out)."""

    sheet: str | None  # None for a text file
    header_row: int
    headers: list[str]
    #: ``(row number, cells)``, iterable again and again: a text file's
    #: are read from the file each time, never held whole
    rows: Iterable[tuple[int, list[Any]]]


@attrs.frozen
class Register:
    path: str
    tables: list[Table]
    #: ``(sheet, why it was not imported)``
    skipped: list[tuple[str, str]]
    #: the text encoding (None for a workbook)
    encoding: str | None = None
    #: a CSV's delimiter (None for a workbook)
    delimiter: str | None = None
    #: the workbook counts days from 1904 (old Mac Excel)
    date1904: bool = False


def extension(path: str) -> str:
    return os.path.splitext(path)[1].lower()


def check_extension(path: str) -> None:
    if extension(path) == ".json":  # what 'export -o x.json' writes: for programs, not for reading back
        raise LeadcycleError(N_("{path} is a JSON export, for programs; import reads registers (.xlsx, .xls, "
                                ".ods, .csv, .tsv) and histories (.jsonl): export again with -o FILE.xlsx, "
                                "or --history -o FILE.jsonl"), path=path)
    if extension(path) not in WORKBOOK_EXTENSIONS + TEXT_EXTENSIONS:
        raise LeadcycleError(N_("{path}: only .xlsx, .xls, .ods, .csv and .tsv files can be imported; "
                                "save the register from Excel in one of them"), path=path)


#: why a sheet with no rows was not imported
EMPTY = M_("empty")


def read_register(path: str, is_header: Callable[[str], bool], *, sheets: tuple[str, ...] = (),
                  header_row: int | None = None) -> Register:
    """The file as :class:`Table` s; see the module docstring.
    ``is_header`` says whether a cell's text is a known column name. A text
    file is read to its end here (its encoding, its quotes), but its rows
    are not kept: a table's rows read the file again as they are iterated."""
    check_extension(path)
    if extension(path) in WORKBOOK_EXTENSIONS:
        raw_sheets, date1904 = _read_workbook(path, sheets)
        encoding = delimiter = None
    else:
        if sheets:
            raise LeadcycleError(N_("{path} is a text file with no sheets; leave --sheet out"), path=path)
        encoding = detect_encoding(path)
        delimiter = "\t" if extension(path) == ".tsv" or _tabbed(path, encoding) else ","
        for _ in csv_records(path, encoding, delimiter, cells=False):  # a broken quote refuses the file now
            pass
        raw_sheets, date1904 = [(None, _TextRows(path, encoding, delimiter))], False
    tables: list[Table] = []
    skipped: list[tuple[str, str]] = []  # (sheet, why: a message, said in the reader's language)
    for name, rows in raw_sheets:
        top = _filled_rows(rows, header_row)
        if not top and next(iter(_After(rows, 0)), None) is None:
            if name is not None:
                skipped.append((name, EMPTY))
            continue
        at = _header_index(top, is_header, header_row) if top else None
        if at is None:
            where = (M_("the first {n} rows", n=HEADER_SEARCH_ROWS) if header_row is None
                     else M_("row {n}", n=header_row))
            skipped.append((name or os.path.basename(path),
                            M_("no header row in {where} (a row whose cells name the columns: 姓名, 电话, 需求…); "
                               "give --header-row N", where=where)))
            continue
        n, header = top[at]
        tables.append(Table(name, n, [_header_text(h) for h in header], _After(rows, n)))
    if not tables and skipped and all(why is not EMPTY for _, why in skipped) and header_row is None:
        # nothing looks like a register: read the first sheet's first row as
        # its header, so that the import names every column it does not know
        name, rows = next(s for s in raw_sheets if _filled_rows(s[1], None))
        n, header = _filled_rows(rows, None)[0]
        tables.append(Table(name, n, [_header_text(h) for h in header], _After(rows, n)))
        skipped = [s for s in skipped if s[0] != (name or os.path.basename(path))]
    if not tables:
        why = [M_("{sheet}: {why}", sheet=s, why=w) for s, w in skipped] if skipped else M_("it has no rows")
        raise LeadcycleError(N_("{path} holds no register ({why})"), path=path, why=why)
    return Register(path, tables, skipped, encoding, delimiter, date1904)


@attrs.frozen
class _TextRows:
    """A text file's records, read from the file each time they are iterated."""

    path: str
    encoding: str
    delimiter: str

    def __iter__(self) -> Iterator[tuple[int, list[Any]]]:
        return csv_records(self.path, self.encoding, self.delimiter)


@attrs.frozen
class _After:
    """The filled rows of a sheet below its header row (re-iterable)."""

    rows: Iterable[tuple[int, list[Any]]]
    header_row: int

    def __iter__(self) -> Iterator[tuple[int, list[Any]]]:
        return ((n, cells) for n, cells in self.rows if n > self.header_row and _any_filled(cells))


def _filled_rows(rows: Iterable[tuple[int, list[Any]]], header_row: int | None) -> list[tuple[int, list[Any]]]:
    """The filled rows the header is looked for in: the first
    :data:`HEADER_SEARCH_ROWS`, or those up to row ``header_row``."""
    filled = ((n, cells) for n, cells in rows if _any_filled(cells))
    if header_row is None:
        return list(itertools.islice(filled, HEADER_SEARCH_ROWS))
    return list(itertools.takewhile(lambda r: r[0] <= header_row, filled))


def joined_text(cells: Iterable[Any]) -> str | None:
    """The row's cells joined, when every one is text (a text file's rows:
    one pass in C answers for the whole row); None for a row with numbers,
    dates or empty cells (a workbook's), which is looked at cell by cell."""
    try:
        return "".join(cells)
    except TypeError:
        return None


def _any_filled(cells: list[Any]) -> bool:
    """Whether any cell is :func:`_filled`."""
    text = joined_text(cells)
    if text is not None:
        return bool(text.strip())
    return any(_filled(c) for c in cells)


def _filled(value: Any) -> bool:
    return value is not None and not (isinstance(value, str) and not value.strip())


def _header_text(value: Any) -> str:
    if value is None:
        return ""
    if isinstance(value, float) and value.is_integer():
        value = int(value)
    return " ".join(str(value).split())


def _header_index(rows, is_header, header_row: int | None) -> int | None:
    if header_row is not None:
        for i, (n, _) in enumerate(rows):
            if n == header_row:
                return i
        return None
    for i, (_, cells) in enumerate(rows[:HEADER_SEARCH_ROWS]):
        names = [_header_text(c) for c in cells if _filled(c)]
        known = sum(1 for h in names if is_header(h))
        if known >= 2 and known * 2 >= len(names):
            return i
    return None


# ------------------------------------------------------------------ workbooks


def _read_workbook(path: str, wanted: tuple[str, ...]):
    from python_calamine import CalamineWorkbook

    try:
        wb = CalamineWorkbook.from_path(path)
    except Exception as e:  # calamine raises its own errors for every kind of damage
        raise LeadcycleError(N_("{path} is not a readable {extension} workbook ({name}); "
                                "save it again from Excel"),
                             path=path, extension=extension(path), name=type(e).__name__) from None
    try:
        names = list(wb.sheet_names)
        missing = [s for s in wanted if s not in names]
        if missing:
            raise LeadcycleError(N_("{path} has no sheet {missing!r}; its sheets: {names}"),
                                 path=path, missing=missing[0], names=', '.join(names))
        out = []
        for name in wanted or names:
            try:
                sheet = wb.get_sheet_by_name(name)
                merged = sheet.merged_cell_ranges or []
            except Exception as e:
                raise _unreadable(path, name, e) from None
            out.append((name, _SheetRows(path, name, sheet, tuple(merged))))
    finally:
        wb.close()  # the sheets read keep their cells
    return out, _date1904(path)


def _unreadable(path: str, name: str, e: Exception) -> LeadcycleError:
    return LeadcycleError(N_("{path}: sheet {name!r} cannot be read ({name2}); "
                             "save the workbook again from Excel"),
                          path=path, name=name, name2=type(e).__name__)


@attrs.frozen
class _SheetRows:
    """A sheet's rows, numbered as the sheet shows them, a merge spanning
    rows filled down (each row of it holds the first cell's value); made
    from calamine's cells row by row each time they are iterated, so no
    grid of Python values is held."""

    path: str
    name: str
    sheet: Any = attrs.field(eq=False, repr=False)
    merged: tuple = ()

    def __iter__(self) -> Iterator[tuple[int, list[Any]]]:
        starts: dict[int, list[tuple[int, int, int]]] = {}  # first row → (last row, first col, last col)
        for (r0, c0), (r1, c1) in self.merged:
            if r1 > r0:
                starts.setdefault(r0, []).append((r1, c0, c1))
        active: list[tuple[int, int, int, Any]] = []  # (last row, first col, last col, value)
        start = self.sheet.start
        pad = [""] * (start[1] if start else 0)  # calamine leaves out the empty columns on the left
        try:
            for i, cells in enumerate(self.sheet.iter_rows()):
                row = [*pad, *cells]
                if active:
                    active = [a for a in active if a[0] >= i]
                    for _, c0, c1, value in active:
                        while len(row) <= c1:
                            row.append("")
                        row[c0:c1 + 1] = [value] * (c1 - c0 + 1)
                for r1, c0, c1 in starts.get(i, ()):
                    active.append((r1, c0, c1, row[c0] if c0 < len(row) else None))
                yield i + 1, [None if c == "" else c for c in row]
        except LeadcycleError:
            raise
        except Exception as e:  # calamine's own error for a cell it cannot convert
            raise _unreadable(self.path, self.name, e) from None


def _date1904(path: str) -> bool:
    """Whether an .xlsx counts its days from 1904 (its ``workbookPr``)."""
    if extension(path) not in (".xlsx", ".xlsm"):
        return False
    try:
        with zipfile.ZipFile(path) as z:
            head = z.read("xl/workbook.xml")[:4096]
    except (OSError, KeyError, zipfile.BadZipFile):
        return False
    return b'date1904="1"' in head or b'date1904="true"' in head


# ------------------------------------------------------------------ text files

_CANDIDATES = ("gb18030", "big5")
_HIGH = re.compile(rb"[\x80-\xff]")


_CHUNK = 1 << 20


def _chunks(path: str):
    with open(path, "rb") as f:
        while chunk := f.read(_CHUNK):
            yield chunk


def _decodes(path: str, encoding: str) -> bool:
    """Whether the whole file decodes as ``encoding``, read a chunk at a time."""
    decoder = codecs.getincrementaldecoder(encoding)()
    try:
        for chunk in _chunks(path):
            decoder.decode(chunk)
        decoder.decode(b"", final=True)
    except UnicodeDecodeError:
        return False
    return True


#: a text file is UTF-16 without a BOM when at least one byte pair in this
#: many holds a NUL in the same half (a register: most of them)
UTF16_SHARE = 8


def detect_encoding(path: str) -> str:
    """The encoding of a whole text file, which must decode in it from end
    to end; see the module docstring. The file is read a chunk at a time
    (a register of a million rows is never held whole)."""
    with open(path, "rb") as f:
        head = f.read(4)
    if head.startswith(b"\xef\xbb\xbf"):
        return _strict(path, "utf-8-sig")
    if head.startswith((b"\xff\xfe", b"\xfe\xff")):
        return _strict(path, "utf-16")
    odd = even = offset = 0
    utf8: Any = codecs.getincrementaldecoder("utf-8")()  # None once the text is not UTF-8
    for chunk in _chunks(path):  # one pass: the NULs of UTF-16 and whether it is UTF-8
        if b"\x00" in chunk:  # which half of each byte pair holds the NULs of ASCII digits
            odd += chunk[(1 - offset) % 2::2].count(0)
            even += chunk[offset % 2::2].count(0)
        offset += len(chunk)
        if utf8 is not None:
            try:
                utf8.decode(chunk)
            except UnicodeDecodeError:
                utf8 = None
    # UTF-16 writes a NUL beside every ASCII character (the digits, commas
    # and line ends of every row); a stray NUL or two in UTF-8 text (a cell
    # pasted from another program) is no second half of a byte pair
    if max(odd, even) * UTF16_SHARE >= offset // 2:
        return _strict(path, "utf-16-le" if odd >= even else "utf-16-be")
    if utf8 is not None:
        try:
            utf8.decode(b"", final=True)
            return "utf-8"
        except UnicodeDecodeError:
            pass
    order = list(_CANDIDATES)
    try:
        import charset_normalizer

        # judge the lines that hold Chinese text: a file of ASCII rows with a
        # few names at the end would otherwise be judged by its ASCII
        with open(path, "rb") as f:
            sample = b"\n".join(itertools.islice((line for line in f if _HIGH.search(line)), 2000))
        best = charset_normalizer.from_bytes(sample, cp_isolation=list(_CANDIDATES)).best()
        if best is not None and best.encoding in _CANDIDATES:
            order.remove(best.encoding)
            order.insert(0, best.encoding)
    except Exception:  # a detector's failure only loses its advice
        pass
    for encoding in order:
        if _decodes(path, encoding):
            return encoding
    raise LeadcycleError(N_("{path} is neither UTF-8 nor GB18030 (GBK), Big5 or UTF-16 text; "
                            "save it from Excel as 'CSV UTF-8' and import again"), path=path)


def _strict(path: str, encoding: str) -> str:
    if _decodes(path, encoding):
        return encoding
    raise LeadcycleError(N_("{path} starts as {encoding} text but does not decode as it; "
                            "save it from Excel as 'CSV UTF-8' and import again"),
                         path=path, encoding=encoding)


def _tabbed(path: str, encoding: str) -> bool:
    """Excel's "Unicode text" (UTF-16, tab-separated) saved as .txt/.csv."""
    with open(path, encoding=encoding, newline="") as f:
        first = f.readline().lstrip("\ufeff")
    return first.count("\t") > first.count(",")


def csv_records(path: str, encoding: str, delimiter: str, cells: bool = True) -> Iterator[tuple[int, list[Any]]]:
    """Every record of the text file, numbered from 1, read as it streams;
    raises (naming the row) when a quote is never closed or text follows a
    closing quote — :func:`read_register` reads the file to its end before
    anything is written, so such a file is refused as a whole. ``cells``:
    the cells as a spreadsheet means them (else the raw text)."""
    with open(path, encoding=encoding, newline="") as f:
        reader = csv.reader(f, delimiter=delimiter, strict=True)
        n, line = 0, 0
        try:
            for n, record in enumerate(reader, start=1):
                line = reader.line_num
                if n == 1 and record and record[0].startswith("\ufeff"):
                    record[0] = record[0].lstrip("\ufeff")
                # the CSV's own quote prefix ('=1+1); not when only the quotes are checked,
                # nor in a record without a quote at all (most: one pass in C says so)
                yield n, [from_spreadsheet_text(c) for c in record] if cells and "'" in "".join(record) else record
        except csv.Error as e:
            raise _broken(path, n + 1, line + 1, str(e)) from None


def _broken(path: str, row_no: int, line: int, error: str) -> LeadcycleError:
    """A CSV the reader cannot parse, as one line naming the row (and its
    line in the text when a quoted cell spans lines)."""
    where = (M_("{path} row {row}", path=path, row=row_no) if line == row_no
             else M_("{path} row {row} (line {line} of the text)", path=path, row=row_no, line=line))
    if "unexpected end of data" in error:
        return LeadcycleError(N_("{where}: a quote opens a cell and is never closed, so every later line would be "
                                 "read into that cell; close the quote, or write a quote inside a cell as two (\"\"); "
                                 "nothing was imported"), where=where)
    if "expected after" in error:
        return LeadcycleError(N_("{where}: text follows the closing quote of a cell; quote the whole cell, writing "
                                 "a quote inside it as two (\"\"); nothing was imported"), where=where)
    return LeadcycleError(N_("{where}: cannot be read as CSV ({error}); nothing was imported"),
                          where=where, error=error)


__all__ = ["Register", "Table", "check_extension", "csv_records", "detect_encoding", "read_register"]
