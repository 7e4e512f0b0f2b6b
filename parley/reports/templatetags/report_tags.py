from django import template
from django.utils.translation import gettext as _

register = template.Library()


@register.filter
def duration(seconds: float | None) -> str:
    """A response time in words a person reads at a glance: 45 s, 12 min, 3 h 20 min,
    2 d 4 h; an em dash for none."""
    if seconds is None:
        return "—"
    s = round(seconds)
    if s < 60:
        return _("%(n)d s") % {"n": s}
    minutes = round(s / 60)
    if minutes < 60:
        return _("%(n)d min") % {"n": minutes}
    hours, minutes = divmod(minutes, 60)
    if hours < 24:
        if minutes:
            return _("%(h)d h %(m)d min") % {"h": hours, "m": minutes}
        return _("%(h)d h") % {"h": hours}
    days, hours = divmod(hours, 24)
    if hours:
        return _("%(d)d d %(h)d h") % {"d": days, "h": hours}
    return _("%(d)d d") % {"d": days}
