# Finnish: "27.11." for a day in a list (Django's: "27. marraskuuta"); the rest is Django's
# ("27. marraskuuta 2026", "27. marraskuuta 2026 kello 14.05").
MONTH_DAY_FORMAT = "j.n."
