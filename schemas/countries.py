"""ISO 3166 alpha-3 codes mapped to the admin 0 P-code the OCHA CODs use (the alpha-2 code)."""

import pycountry

# pycountry carries the ISO 3166 list, so every country an upstream names has its P-code.
ISO3_TO_PCODE: dict[str, str] = {c.alpha_3: c.alpha_2 for c in pycountry.countries}
