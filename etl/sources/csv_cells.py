"""A comma-separated table read by pandas' C parser, where it reads what `csv.reader` reads.

`csv.reader` makes a list per record and a text per cell in Python's own loop: on a grown HDX
HAPI table it is two thirds of the read. pandas' C parser reads the same bytes in half the
time, but not always to the same cells: it pads a short record with empty cells, reads a blank
line as a record of empty cells, takes a byte order mark away, has no limit on a cell's length,
and reads text after a closing quote (`"ab"c`) where a strict `csv.reader` refuses it.
`csv_cells` hands back its cells only for a text where none of that can happen, which it tells
from the text in C (counts and one regular expression over the quoted cells); anything else is
None, for the caller to read with `csv.reader` as before, errors and all.
"""

import csv
import io
import re

import numpy as np
import pandas as pd

# A quoted cell as `csv.reader` reads one: opened at the start of a cell (a quote not after any
# other character than a comma or a line end), any text with each quote doubled, closed at the
# end of a cell. A text whose every quote is in one of these reads alike whether the reader is
# strict or not, and in pandas. (The pattern opens on the quote itself, so that the search
# skips from quote to quote in C.)
QUOTED = re.compile(r'"(?<![^,\r\n]")[^"]*(?:""[^"]*)*"(?![^,\r\n])')
LINE_ENDS = (ord("\n"), ord("\r"))


def csv_cells(text: str) -> np.ndarray | None:
    """Every record of a comma-separated `text` (as `csv.reader` reads it from
    `io.StringIO(text, newline="")`, strict or not) as one records x cells array of str; None
    where pandas may read it otherwise (records of different lengths, a blank line, a quote
    outside a quoted cell or text after one, a byte order mark or NUL, a line or quoted cell
    longer than the reader's limit on a cell, a single column)."""
    if not text or text[0] == "\ufeff" or "\x00" in text:
        return None
    quotes = text.count('"')
    quoted = QUOTED.findall(text) if quotes else []
    in_quotes = "".join(quoted)
    if in_quotes.count('"') != quotes:
        return None
    encoded = text.encode("utf-8", "surrogatepass")
    limit = csv.field_size_limit()
    if len(encoded) > limit and (
        _longest_line(encoded) > limit or max(map(len, quoted), default=0) > limit
    ):
        return None  # a cell may be past the limit: left to the reader, which says so
    try:
        frame = pd.read_csv(
            io.BytesIO(encoded),
            header=None,
            dtype=object,
            na_filter=False,
            keep_default_na=False,
            skip_blank_lines=False,
            encoding="utf-8",
            engine="c",
        )
    except ValueError:  # pandas' ParserError among them
        return None
    records, width = frame.shape
    # A comma separates two cells of a record or sits inside a quoted cell: any record read
    # short, padded by pandas, or a blank line read as empty cells leaves commas unaccounted.
    if width < 2 or text.count(",") != records * (width - 1) + in_quotes.count(","):
        return None
    return frame.to_numpy(dtype=object)


def _longest_line(encoded: bytes) -> int:
    """The most bytes between two line ends (at least a line's characters, quoted or not):
    no longer than the reader's limit, no cell of it is."""
    octets = np.frombuffer(encoded, dtype=np.uint8)
    ends = np.flatnonzero((octets == LINE_ENDS[0]) | (octets == LINE_ENDS[1]))
    return int(np.diff(ends, prepend=-1, append=len(octets)).max())
