"""Bidirectional control characters out of names and handles.

The embeddings and overrides (U+202A to U+202E) and the isolates (U+2066 to U+2069) change the
order in which the text *around* them is shown: a creator named "\\u202eKCABLLAC" shows as
"CALLBACK", and one such character left open can reverse the rest of a list row, so a name
could pass for another. Names and identity values never need them (right-to-left scripts
show correctly without), so every place that normalises a name or an identity removes
them: creators (names, first names, identity values and links), tags, campaigns, clients,
workspaces and members' names.
"""

BIDI_CONTROLS = "\u202a\u202b\u202c\u202d\u202e\u2066\u2067\u2068\u2069"
_REMOVE = str.maketrans(dict.fromkeys(BIDI_CONTROLS))


def bidi_strip(text: str) -> str:
    """`text` without bidirectional embedding, override and isolate characters."""
    return text.translate(_REMOVE)
