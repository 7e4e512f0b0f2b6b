# English: "Nov 27", "Nov 27, 2026", "Nov 27, 2026 14:05" (Django's: "November 27",
# "Nov. 27, 2026", "Nov. 27, 2026, 2:05 p.m.").
MONTH_DAY_FORMAT = "M j"
DATE_FORMAT = "M j, Y"
DATETIME_FORMAT = "M j, Y H:i"
TIME_FORMAT = "H:i"
