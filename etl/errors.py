"""Errors the ETL raises; the CLI turns each into a one-line message."""


class EtlError(Exception):
    """Base of every error the ETL reports to its user as one line."""


class InputError(EtlError):
    """The input file cannot be read as what it claims to be."""


class HxlError(InputError):
    """The file has no HXL hashtag row, or lacks a place, date or value column."""


class RunLockedError(EtlError):
    """Another ETL run holds the lock."""


class SourceError(EtlError):
    """An upstream failed: unreachable, refused, or served something other than promised."""


class SourceAuthError(SourceError):
    """An upstream refused the credential (HTTP 401 or 403); retrying will not help."""


class SourceFormatError(SourceError):
    """An upstream's response does not match what it promises (a field renamed, dropped, ...)."""
