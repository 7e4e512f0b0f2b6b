"""ISO 4217 currencies a payment can be in: pycountry's list of the standard, without the
codes that are no money one pays a creator in (precious metals, bond-market units, fund
codes, the testing and "no currency" codes)."""

from functools import lru_cache

import pycountry

NOT_MONEY = {
    # precious metals
    "XAG", "XAU", "XPD", "XPT",
    # bond-market units, SDR, SUCRE, ADB unit of account
    "XBA", "XBB", "XBC", "XBD", "XDR", "XSU", "XUA",
    # testing, no currency
    "XTS", "XXX",
    # fund codes (a second code of a country's currency for special settlement)
    "BOV", "CHE", "CHW", "CLF", "COU", "MXV", "USN", "UYI", "UYW",
}  # fmt: skip


@lru_cache(maxsize=1)
def currency_codes() -> tuple[str, ...]:
    return tuple(sorted(c.alpha_3 for c in pycountry.currencies if c.alpha_3 not in NOT_MONEY))


@lru_cache(maxsize=1)
def currency_names() -> dict[str, str]:
    return {c.alpha_3: c.name for c in pycountry.currencies if c.alpha_3 not in NOT_MONEY}


def is_currency(code: str) -> bool:
    return code in currency_names()
