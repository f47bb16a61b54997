"""`python -m dashboard brief --place P --from D --to D [--lang en|ar] -o FILE.pptx|FILE.pdf`."""

import argparse
import datetime as dt
import sys
from pathlib import Path

from dashboard.briefing import pack
from dashboard.briefing.catalogue import LANGUAGES
from dashboard.briefing.model import BriefError
from dashboard.settings import DashboardSettings
from dashboard.state import ViewState
from etl.store import StoreError, open_store
from schemas.pcodes import ancestor_at


def _date(value: str) -> dt.date:
    try:
        return dt.date.fromisoformat(value)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{value!r} is not a date (YYYY-MM-DD)") from None


def parser() -> argparse.ArgumentParser:
    """The options of `brief`."""
    p = argparse.ArgumentParser(
        prog="python -m dashboard brief",
        description="Write the briefing pack of one view: a .pptx deck or a .pdf, by the "
        "extension of the output file.",
    )
    p.add_argument("--place", required=True, help="P-code or area id, e.g. SY07")
    p.add_argument("--from", dest="date_from", type=_date, help="first day, YYYY-MM-DD")
    p.add_argument("--to", dest="date_to", type=_date, help="last day, YYYY-MM-DD")
    p.add_argument("--lang", choices=LANGUAGES, default="en", help="default en")
    p.add_argument("--filter", default="", help="the figures table's filter, as on the page")
    p.add_argument("-o", "--output", required=True, help="FILE.pptx or FILE.pdf")
    return p


def view_state(place: str, date_from: dt.date | None, date_to: dt.date | None) -> ViewState:
    """The page's state for a place: a district or sub-district under its governorate."""
    governorate = ancestor_at(place, 1)
    if governorate and governorate != place:
        return ViewState(governorate, place, date_from, date_to)
    return ViewState(place, None, date_from, date_to)


def main(argv: list[str] | None = None) -> int:
    """Write the pack; 0 when written, 1 when it cannot be made (said why), 2 for usage."""
    args = parser().parse_args(argv)
    try:
        fmt = pack.format_of(args.output)
        settings = DashboardSettings()
        store = open_store(settings.database_url, create=False)
        body = pack.make(
            store,
            view_state(args.place, args.date_from, args.date_to),
            fmt,
            args.lang,
            settings.disagreement_threshold,
            table_query=args.filter,
        )
    except (BriefError, StoreError) as exc:
        print(f"brief: {exc}", file=sys.stderr)
        return 1
    Path(args.output).write_bytes(body)
    print(f"{args.output}: {len(body):,} bytes")
    return 0
