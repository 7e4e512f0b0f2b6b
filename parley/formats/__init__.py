"""Date formats per language, over Django's own (FORMAT_MODULE_PATH in settings): what a
format name means where Django's choice is too long for a list row or not what Parley
showed before. Pages use the names (MONTH_DAY_FORMAT, DATE_FORMAT, DATETIME_FORMAT,
TIME_FORMAT), never a fixed pattern, so dates follow the active language."""
