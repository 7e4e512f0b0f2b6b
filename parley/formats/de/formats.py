# German: "27. Nov" for a day in a list (Django's: "27. November"); the rest is Django's
# ("27. November 2026", "27. November 2026 14:05").
MONTH_DAY_FORMAT = "j. M"
