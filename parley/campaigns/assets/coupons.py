"""A campaign's pool of coupon codes, and one code for each creator who asks.

Codes come in pasted (one a line), from a CSV file, or generated from a pattern such as
`SPRING-####` with the `secrets` module. A creator gets at most one code of a campaign and
a code goes to at most one creator; both are database constraints, so they hold under any
number of concurrent requests. On PostgreSQL a request takes a free code with
`SELECT … FOR UPDATE SKIP LOCKED` on the free-code index (two requests never wait for, or
take, the same row); on SQLite every write transaction holds the write lock from its start
(IMMEDIATE), so requests take codes one after another. A creator who has a code gets the
same one again.
"""

import csv
import io
import re
import secrets
import string
import time
from collections.abc import Iterable
from dataclasses import dataclass, field

from django.conf import settings
from django.db import IntegrityError, transaction
from django.utils import timezone
from django.utils.translation import gettext as _
from django.utils.translation import gettext_noop, ngettext

from parley.accounts.models import Member
from parley.campaigns.assets.common import (
    event_post,
    events_post_many,
    member_ids,
    membership_get,
)
from parley.campaigns.models import Campaign, CouponCode
from parley.core.errors import Conflict, ValidationFailed
from parley.creators.models import Creator
from parley.inbox.events import said

CODE_MAX = 64
# Printable ASCII without spaces: what a shop's checkout takes.
CODE_PATTERN = r"^[\x21-\x7e]{1,64}$"
PATTERN_MAX = 64
# In a generation pattern: `#` is a digit, `?` an upper-case letter or a digit.
DIGITS = string.digits
LETTERS_DIGITS = string.ascii_uppercase + string.digits
CSV_MAX_BYTES = 5_000_000


def batch_limit() -> int:
    return int(settings.PARLEY_COUPON_BATCH_LIMIT)


@dataclass
class PoolAdded:
    added: int = 0
    # Already in the pool, or given twice in this batch: left out.
    duplicates: int = 0
    codes: list[str] = field(default_factory=list)


def _check_codes(codes: list[tuple[int, str]]) -> list[str]:
    """(line, code) pairs → the codes, or ValidationFailed naming the bad lines."""
    bad = [(line, code) for line, code in codes if not re.fullmatch(CODE_PATTERN, code)]
    if bad:
        shown = "; ".join(
            _("line %(line)d: “%(code)s”") % {"line": line, "code": code[:40]}
            for line, code in bad[:5]
        )
        raise ValidationFailed(
            {
                "codes": [
                    ngettext(
                        "%(n)d line is not a code (1 to 64 letters, digits or punctuation, "
                        "no spaces): %(lines)s.",
                        "%(n)d lines are not codes (1 to 64 letters, digits or punctuation, "
                        "no spaces): %(lines)s.",
                        len(bad),
                    )
                    % {"n": len(bad), "lines": shown}
                ]
            }
        )
    return [code for _line, code in codes]


def codes_from_text(text: str) -> list[str]:
    """Codes pasted one a line (blank lines skipped, spaces around a code ignored)."""
    pairs = [
        (number, line.strip())
        for number, line in enumerate((text or "").splitlines(), start=1)
        if line.strip()
    ]
    return _check_codes(pairs)


def codes_from_csv(data: bytes) -> list[str]:
    """Codes from a CSV file (UTF-8, ',' or ';'): the column headed "code", else the first;
    a first row that is a header ("code", "coupon", …) is skipped."""
    if len(data) > CSV_MAX_BYTES:
        raise ValidationFailed({"file": [_("A CSV file of codes is at most 5 MB.")]})
    try:
        text = data.decode("utf-8-sig")
    except UnicodeDecodeError as exc:
        raise ValidationFailed({"file": [_("The file is not UTF-8 text.")]}) from exc
    if "\x00" in text:
        raise ValidationFailed({"file": [_("The file is not a CSV file.")]})
    sample = text[:4096]
    delimiter = ";" if sample.count(";") > sample.count(",") else ","
    rows = list(csv.reader(io.StringIO(text), delimiter=delimiter))
    column = 0
    start = 0
    if rows:
        header = [cell.strip().lower() for cell in rows[0]]
        for i, cell in enumerate(header):
            if cell in ("code", "codes", "coupon", "coupon code", "coupon_code"):
                column, start = i, 1
                break
    pairs = [
        (number, row[column].strip())
        for number, row in enumerate(rows[start:], start=start + 1)
        if len(row) > column and row[column].strip()
    ]
    if not pairs:
        raise ValidationFailed({"file": [_("The file has no codes.")]})
    return _check_codes(pairs)


def pool_add(*, campaign: Campaign, codes: Iterable[str]) -> PoolAdded:
    """Add codes to the pool; those already in it (or given twice) are left out."""
    wanted = list(codes)
    if not wanted:
        raise ValidationFailed({"codes": [_("Give at least one code.")]})
    if len(wanted) > batch_limit():
        raise ValidationFailed(
            {"codes": [_("At most %(n)d codes at a time.") % {"n": batch_limit()}]}
        )
    _check_codes(list(enumerate(wanted, start=1)))
    unique = list(dict.fromkeys(wanted))
    with transaction.atomic():
        known: set[str] = set()
        for first in range(0, len(unique), 2000):
            known.update(
                CouponCode.objects.filter(
                    campaign=campaign, code__in=unique[first : first + 2000]
                ).values_list("code", flat=True)
            )
        new = [c for c in unique if c not in known]
        CouponCode.objects.bulk_create(
            [
                CouponCode(workspace_id=campaign.workspace_id, campaign=campaign, code=c)
                for c in new
            ],
            ignore_conflicts=True,
            batch_size=2000,
        )
    return PoolAdded(added=len(new), duplicates=len(wanted) - len(new), codes=new)


def pattern_capacity(pattern: str) -> int:
    return 10 ** pattern.count("#") * len(LETTERS_DIGITS) ** pattern.count("?")


def pool_generate(*, campaign: Campaign, pattern: str, count: int) -> PoolAdded:
    """`count` new codes from `pattern` (`#` a digit, `?` a letter or digit), drawn with
    `secrets`, none already in the pool."""
    pattern = (pattern or "").strip()
    errors: dict[str, list[str]] = {}
    if not re.fullmatch(CODE_PATTERN, pattern) or len(pattern) > PATTERN_MAX:
        errors["pattern"] = [
            _("A pattern is 1 to 64 letters, digits or punctuation, without spaces.")
        ]
    elif pattern.count("#") + pattern.count("?") < 4:
        errors["pattern"] = [
            _(
                "Put at least four # (a digit) or ? (a letter or digit) in the pattern, "
                "e.g. SPRING-####."
            )
        ]
    if not 1 <= count <= batch_limit():
        errors["count"] = [
            _("Generate between 1 and %(n)d codes at a time.") % {"n": batch_limit()}
        ]
    if errors:
        raise ValidationFailed(errors)
    # Leave room: a pattern filled more than half way would make codes easy to guess.
    capacity = pattern_capacity(pattern)
    if count * 2 > capacity:
        # A Conflict: the pattern and the count are each fine, not together.
        raise Conflict(
            {
                "count": [
                    _(
                        "%(pattern)s makes %(capacity)d different codes: too few for "
                        "%(count)d. Add more # or ? to the pattern."
                    )
                    % {"pattern": pattern, "capacity": capacity, "count": count}
                ]
            }
        )
    existing = set(CouponCode.objects.filter(campaign=campaign).values_list("code", flat=True))
    made: set[str] = set()
    tries = 0
    while len(made) < count:
        tries += 1
        if tries > count * 20:
            raise Conflict(
                {
                    "count": [
                        _("The pool already holds most codes of this pattern: use a longer one.")
                    ]
                }
            )
        code = "".join(
            secrets.choice(DIGITS)
            if ch == "#"
            else secrets.choice(LETTERS_DIGITS)
            if ch == "?"
            else ch
            for ch in pattern
        )
        if code not in existing:
            made.add(code)
    return pool_add(campaign=campaign, codes=sorted(made))


def pool_remove_free(*, campaign: Campaign, codes: Iterable[str] | None = None) -> int:
    """Remove codes nobody has (all of them, or those given); how many went."""
    free = CouponCode.objects.filter(campaign=campaign, creator__isnull=True)
    if codes is not None:
        free = free.filter(code__in=list(codes))
    deleted, _by_model = free.delete()
    return deleted


def _take_free(campaign: Campaign, n: int) -> list[int]:
    """Ids of up to n free codes, locked for this transaction (PostgreSQL: rows that another
    transaction holds are skipped, not waited for)."""
    return list(
        CouponCode.objects.select_for_update(skip_locked=True)
        .filter(campaign=campaign, creator__isnull=True)
        .order_by("id")
        .values_list("id", flat=True)[:n]
    )


BUSY_TRIES = 200


class _Busy(Exception):
    pass


def _locked_free(campaign: Campaign) -> bool:
    """Whether free codes exist that this transaction could not take (others hold them)."""
    return CouponCode.objects.filter(campaign=campaign, creator__isnull=True).exists()


def _locked_free_beyond(campaign: Campaign, taken: list[int]) -> bool:
    """Whether free codes exist besides those this transaction took (others hold them)."""
    return (
        CouponCode.objects.filter(campaign=campaign, creator__isnull=True)
        .exclude(id__in=taken)
        .exists()
    )


def _pool_empty(campaign: Campaign) -> Conflict:
    return Conflict(
        {
            "pool": [
                _(
                    "The coupon pool of %(campaign)s is empty: add codes in the campaign's "
                    "settings first."
                )
                % {"campaign": campaign.name}
            ]
        }
    )


def coupon_assign(
    *, actor: Member | None, campaign: Campaign, creator: Creator
) -> tuple[CouponCode, bool]:
    """The creator's code in the campaign: the one they have (new False), or a free one of
    the pool given to them now (with an event in their thread). Conflict when the pool is
    empty."""
    membership_get(campaign=campaign, creator=creator)
    for _attempt in range(BUSY_TRIES):
        try:
            with transaction.atomic():
                have = CouponCode.objects.filter(campaign=campaign, creator=creator).first()
                if have is not None:
                    return have, False
                free = _take_free(campaign, 1)
                if not free:
                    if _locked_free(campaign):
                        raise _Busy
                    # Another request may have given this creator the last code meanwhile.
                    have = CouponCode.objects.filter(campaign=campaign, creator=creator).first()
                    if have is not None:
                        return have, False
                    raise _pool_empty(campaign)
                now = timezone.now()
                CouponCode.objects.filter(id=free[0], creator__isnull=True).update(
                    creator=creator, assigned_at=now
                )
                code = CouponCode.objects.get(id=free[0])
                event_post(
                    campaign=campaign,
                    creator=creator,
                    actor=actor,
                    text=said(gettext_noop("coupon code %(code)s"), code=code.code),
                )
                return code, True
        except IntegrityError:
            # A concurrent request gave this creator a code first: the next try returns it.
            continue
        except _Busy:
            # The free codes left are being taken by other requests right now (PostgreSQL
            # skipped their locked rows): once they commit, the pool is empty or not.
            time.sleep(0.02)
    raise Conflict({"pool": [_("The codes are busy right now: try again.")]})


def coupons_assign_many(
    *,
    actor: Member | None,
    campaign: Campaign,
    creator_ids: Iterable[int],
    all_or_none: bool = True,
) -> dict[int, CouponCode]:
    """A code for each creator in the campaign (the members tab, mass email): those who
    have one keep it, the others get one each; all or none (Conflict when the pool has too
    few free codes), or with `all_or_none=False` as many as there are free codes (the first
    creators first). Creators not in the campaign are left out. creator id → code."""
    ids = member_ids(campaign=campaign, creator_ids=creator_ids)
    if not ids:
        return {}
    for _attempt in range(BUSY_TRIES):
        try:
            with transaction.atomic():
                return _assign_many(actor, campaign, ids, all_or_none)
        except IntegrityError:
            continue  # a concurrent assignment to one of them: read again
        except _Busy:
            time.sleep(0.02)  # codes held by other requests: once they commit, look again
    raise Conflict({"pool": [_("The codes are busy right now: try again.")]})


def _assign_many(
    actor: Member | None, campaign: Campaign, ids: list[int], all_or_none: bool
) -> dict[int, CouponCode]:
    have: dict[int, CouponCode] = {}
    for first in range(0, len(ids), 2000):
        for code in CouponCode.objects.filter(
            campaign=campaign, creator_id__in=ids[first : first + 2000]
        ):
            assert code.creator_id is not None
            have[code.creator_id] = code
    missing = [i for i in ids if i not in have]
    if not missing:
        return have
    free = _take_free(campaign, len(missing))
    if len(free) < len(missing) and (
        _locked_free_beyond(campaign, free)
        # Some of them got a code from another request since they were read: read again.
        or CouponCode.objects.filter(campaign=campaign, creator_id__in=missing).exists()
    ):
        raise _Busy
    if not all_or_none:
        missing = missing[: len(free)]
    elif len(free) < len(missing):
        if not free:
            raise _pool_empty(campaign)
        raise Conflict(
            {
                "pool": [
                    _(
                        "The coupon pool of %(campaign)s has %(free)d free codes; "
                        "%(needed)d creators need one. Add codes first."
                    )
                    % {"campaign": campaign.name, "free": len(free), "needed": len(missing)}
                ]
            }
        )
    if not missing:
        return have
    now = timezone.now()
    codes = list(CouponCode.objects.filter(id__in=free[: len(missing)]).order_by("id"))
    for code, creator_id in zip(codes, missing, strict=True):
        code.creator_id = creator_id
        code.assigned_at = now
    CouponCode.objects.bulk_update(codes, ["creator", "assigned_at"], batch_size=500)
    events_post_many(
        campaign=campaign,
        texts={
            code.creator_id: said(gettext_noop("coupon code %(code)s"), code=code.code)  # type: ignore[misc]
            for code in codes
        },
        actor=actor,
    )
    have.update({code.creator_id: code for code in codes})  # type: ignore[misc]
    return have
