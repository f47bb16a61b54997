"""ISO 3166 alpha-3 codes mapped to the admin 0 P-code the OCHA CODs use."""

from schemas.pcodes import iso3_to_prefix

# pycountry carries the ISO 3166 list, so every country an upstream names has its P-code: the
# alpha-2 code, or the alpha-3 code where the country's P-codes begin with it (BDI, MMR, TUR).
ISO3_TO_PCODE: dict[str, str] = iso3_to_prefix()
