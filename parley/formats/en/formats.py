# English: "Nov 27", "Nov 27, 2026", "Nov 27, 2026 14:05" (Django's: "November 27",
# "Nov. 27, 2026", "Nov. 27, 2026, 2:05 p.m."); the short forms the same (Django's:
# "11/27/2026", "11/27/2026 2:05 p.m.": a third way of writing a day on one screen).
MONTH_DAY_FORMAT = "M j"
DATE_FORMAT = "M j, Y"
DATETIME_FORMAT = "M j, Y H:i"
TIME_FORMAT = "H:i"
SHORT_DATE_FORMAT = DATE_FORMAT
SHORT_DATETIME_FORMAT = DATETIME_FORMAT
