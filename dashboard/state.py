"""The view's state in the URL, so a view can be shared as a link."""

import datetime as dt
from dataclasses import dataclass, replace
from urllib.parse import parse_qs, urlencode

DEFAULT_PLACE = "SY"
_MAX_QUERY = 2_000


@dataclass(frozen=True)
class ViewState:
    """Which place and dates the page shows."""

    place: str = DEFAULT_PLACE
    district: str | None = None
    date_from: dt.date | None = None
    date_to: dt.date | None = None

    @property
    def selected(self) -> str:
        """The place the figures are for: the district when one is chosen."""
        return self.district or self.place


def _date(values: list[str] | None) -> dt.date | None:
    if not values:
        return None
    try:
        return dt.date.fromisoformat(values[0][:10])
    except ValueError:
        return None


def decode_state(search: str | None, known_places: set[str], default: ViewState) -> ViewState:
    """Read a query string; anything unknown, malformed or oversized falls back to the default."""
    if not search or len(search) > _MAX_QUERY:
        return default
    query = parse_qs(search.lstrip("?"), keep_blank_values=False)
    place = (query.get("place") or [default.place])[0]
    district = (query.get("district") or [None])[0]
    state = replace(
        default,
        place=place if place in known_places else default.place,
        district=district if district in known_places else None,
    )
    start = _date(query.get("from")) or default.date_from
    end = _date(query.get("to")) or default.date_to
    if start and end and start > end:
        start, end = end, start
    return replace(state, date_from=start, date_to=end)


def encode_state(state: ViewState) -> str:
    """The query string of a state ("?place=SY07&from=2019-12-01&to=2020-05-01")."""
    params = {"place": state.place}
    if state.district:
        params["district"] = state.district
    if state.date_from:
        params["from"] = state.date_from.isoformat()
    if state.date_to:
        params["to"] = state.date_to.isoformat()
    return "?" + urlencode(params)
