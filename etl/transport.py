"""One HTTP session for every connector: timeouts, retries with backoff, a user agent.

Credentials never reach a log, an error message or a stored URL: `public_url` drops them.
"""

from collections.abc import Mapping
from dataclasses import dataclass, field
from urllib.parse import urlencode, urlsplit, urlunsplit

import requests
from requests.adapters import HTTPAdapter
from urllib3.util.retry import Retry

from etl.errors import SourceAuthError, SourceError

RETRY_STATUSES = (429, 500, 502, 503, 504)


@dataclass(frozen=True)
class HttpSettings:
    """How patient the ETL is with upstreams."""

    connect_timeout: float = 5.0
    read_timeout: float = 30.0
    retries: int = 4
    backoff: float = 0.5
    max_backoff: float = 30.0
    user_agent: str = "displacement-dashboard/0.1 (humanitarian displacement ETL)"


def public_url(url: str, params: Mapping[str, object] | None, secrets: frozenset[str]) -> str:
    """The URL of a request with its query, less any credential parameter."""
    parts = urlsplit(url)
    shown = {k: v for k, v in (params or {}).items() if k not in secrets and v is not None}
    query = "&".join(q for q in [parts.query, urlencode(shown, doseq=True)] if q)
    return urlunsplit((parts.scheme, parts.netloc, parts.path, query, ""))


@dataclass
class HttpClient:
    """A requests session with retries on connection errors, 429 (Retry-After) and 5xx."""

    settings: HttpSettings = field(default_factory=HttpSettings)
    session: requests.Session = field(init=False)

    def __post_init__(self) -> None:
        retry = Retry(
            total=self.settings.retries,
            connect=self.settings.retries,
            read=self.settings.retries,
            status=self.settings.retries,
            backoff_factor=self.settings.backoff,
            backoff_max=self.settings.max_backoff,
            backoff_jitter=self.settings.backoff / 2,
            status_forcelist=RETRY_STATUSES,
            respect_retry_after_header=True,
            allowed_methods=frozenset({"GET", "HEAD"}),
            raise_on_status=False,
        )
        self.session = requests.Session()
        adapter = HTTPAdapter(max_retries=retry)
        self.session.mount("http://", adapter)
        self.session.mount("https://", adapter)
        self.session.headers["User-Agent"] = self.settings.user_agent

    def get(
        self,
        source: str,
        url: str,
        *,
        params: Mapping[str, object] | None = None,
        headers: Mapping[str, str] | None = None,
        secrets: frozenset[str] = frozenset(),
    ) -> requests.Response:
        """GET with retries; an error names the source and the public URL, never a credential."""
        shown = public_url(url, params, secrets)
        tries = self.settings.retries + 1
        try:
            response = self.session.get(
                url,
                params=dict(params or {}),
                headers=dict(headers or {}),
                timeout=(self.settings.connect_timeout, self.settings.read_timeout),
            )
        except requests.exceptions.RetryError:
            raise SourceError(f"{source}: {shown}: still failing after {tries} tries") from None
        except (requests.exceptions.Timeout, requests.exceptions.ConnectionError) as exc:
            kind = "timed out" if "timed out" in str(exc).lower() else "connection failed"
            raise SourceError(f"{source}: {shown}: {kind} after {tries} tries") from None
        if response.status_code in (401, 403):
            raise SourceAuthError(
                f"{source}: {shown}: HTTP {response.status_code}: the upstream refused the "
                "credential; check the setting that holds it"
            )
        if response.status_code in RETRY_STATUSES:
            raise SourceError(f"{source}: {shown}: HTTP {response.status_code} after {tries} tries")
        if response.status_code >= 400:
            raise SourceError(f"{source}: {shown}: HTTP {response.status_code}")
        response.url = shown  # what is stored and shown from here on
        return response
