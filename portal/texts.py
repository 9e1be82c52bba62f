"""Messages kept as their source text (msgid) and parameters, rendered in the language of whoever reads them.

A notification written while a clerk works in Chinese is read later by an applicant who reads English: storing
the finished sentence would freeze the writer's language. Stored instead (JSON):

    {"msgid": "%(department)s refused its filing", "params": {"department": {"zh": "海关", "en": "Customs"}}}

A parameter is a plain value (kept as is: a company name, a reference number), a pair {"zh", "en"} (a name the
data holds in both languages) or another message {"msgid", "params"} (a translated label). Mark msgids with
`gettext_noop` so that `makemessages` collects them.
"""

from __future__ import annotations

from typing import Any

from django.utils.translation import get_language, gettext, override


class Text:
    """A message to render later: `Text(gettext_noop("Hello %(name)s"), name="…")`."""

    def __init__(self, msgid: str, **params: Any):
        self.msgid = msgid
        self.params = params

    def render(self) -> str:
        """The message in the active language (`translation.override` picks another)."""
        translated = gettext(self.msgid)
        if not self.params:
            return translated
        values = {key: _render_param(value) for key, value in self.params.items()}
        try:
            return translated % values
        except (KeyError, ValueError, TypeError):
            # A translation that lost or mistyped a placeholder must not take the inbox down: the source text.
            return self.msgid % values

    __str__ = render

    def to_json(self) -> dict[str, Any]:
        return {"msgid": self.msgid, "params": {key: _json_param(value) for key, value in self.params.items()}}

    @classmethod
    def from_json(cls, stored: dict[str, Any]) -> Text:
        return cls(stored["msgid"], **stored.get("params", {}))


def bilingual(zh: str, en: str) -> dict[str, str]:
    """A parameter the data holds in both languages (a department's name)."""
    return {"zh": zh, "en": en or zh}


def in_both_languages(label: Any) -> dict[str, str]:
    """A translatable label (e.g. a lazy choice label) as a {"zh", "en"} parameter, fixed in both languages now."""
    with override("zh-hans"):
        zh = str(label)
    with override("en"):
        en = str(label)
    return bilingual(zh, en)


def _render_param(value: Any) -> Any:
    if isinstance(value, Text):
        return value.render()
    if isinstance(value, dict) and "msgid" in value:
        return Text.from_json(value).render()
    if isinstance(value, dict) and "zh" in value:
        return value.get("en") if (get_language() or "").startswith("en") else value["zh"]
    return value


def _json_param(value: Any) -> Any:
    return value.to_json() if isinstance(value, Text) else value


def render_stored(stored: Any) -> str:
    """A stored message (one, or a list joined by line breaks) in the active language."""
    if isinstance(stored, list):
        return "\n".join(render_stored(part) for part in stored)
    if isinstance(stored, dict) and "msgid" in stored:
        return Text.from_json(stored).render()
    return str(stored or "")
