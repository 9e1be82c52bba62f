"""Chinese is the default language and must be complete: every message translated, nothing fuzzy."""

from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PO = ROOT / "portal" / "locale" / "zh_Hans" / "LC_MESSAGES" / "django.po"


def entries(text: str) -> list[tuple[str, str, str]]:
    """(flags, msgid, msgstr) of every entry, plural forms joined; no library needed for this much of PO."""
    found = []
    for block in text.split("\n\n")[1:]:
        flags = " ".join(line for line in block.splitlines() if line.startswith("#,"))
        msgid, msgstr, current = [], [], None
        for line in block.splitlines():
            if line.startswith(("msgid ", "msgid_plural ")):
                current = msgid
            elif line.startswith("msgstr"):
                current = msgstr
            elif not line.startswith('"'):
                continue
            if current is not None:
                current.append(line[line.index('"') + 1 : line.rindex('"')])
        found.append((flags, "".join(msgid), "".join(msgstr)))
    return found


def test_chinese_catalogue_is_complete():
    catalogue = entries(PO.read_text(encoding="utf-8"))

    assert len(catalogue) > 50
    untranslated = [msgid for _, msgid, msgstr in catalogue if msgid and not msgstr]
    fuzzy = [msgid for flags, msgid, _ in catalogue if "fuzzy" in flags]
    assert untranslated == []
    assert fuzzy == []


def test_compiled_catalogue_is_built():
    assert PO.with_suffix(".mo").exists(), "run `make messages` (make run and make test do)"
