"""Languages: every email, page and the person's statement in English, French, Dutch, Swedish, Danish
and German (LANGUAGES), from gettext catalogues (shared/locales/<lang>/LC_MESSAGES/messages.po), with
dates in the reader's locale and time zone.

One call for a surface that renders Jinja2 templates (the portal, the audit console, the statement):

    from shared.i18n import Localised, negotiate, accept_language
    pages = Localised(FileSystemLoader(folder), autoescape=True)        # at start-up: one Environment per language
    language = negotiate(recipient.language, *accept_language(request.headers.get("accept-language")))
    html = pages.render("inbox.html", language, alerts=alerts, time_zone=reader.time_zone)

and in the templates:

    <html lang="{{ lang }}">   {% trans %}Open alerts{% endtrans %}   {% trans n=alerts|length %}{{ n }} alert
    {% pluralize %}{{ n }} alerts{% endtrans %}   {{ _("Acknowledge") }}   {{ alert.sent_at | when(time_zone) }}
    {{ action.due_date | day }}

Then `make messages` extracts the new strings into every catalogue (shared/i18n/extraction.py); fill in
each msgstr (and clear any `#, fuzzy` flag); tests/unit/i18n fails on any message left untranslated.
Who reads in which language: `ReaderDefaults.reader(agency=..., language=..., time_zone=...)` (the
practitioner's own `language`/`time_zone` from the team events, else the agency's default in settings, else
English and UTC). Python code that builds text outside a template: `translate(language, "...")`.

    languages.py   LANGUAGES, negotiate, accept_language, Reader, ReaderDefaults, zone
    catalogues.py  the .po files, compiled in memory once per language
    dates.py       format_moment, format_day
    templates.py   install (gettext into a Jinja2 Environment), Localised, translate
    extraction.py  `make messages`: extract from every template folder and update each catalogue
"""

from shared.i18n.catalogues import TRANSLATED, translations
from shared.i18n.dates import format_day, format_moment
from shared.i18n.languages import (
    DEFAULT_LANGUAGE,
    DEFAULT_TIME_ZONE,
    LANGUAGES,
    Reader,
    ReaderDefaults,
    accept_language,
    negotiate,
    zone,
)
from shared.i18n.templates import N_, Localised, install, translate

__all__ = [
    "DEFAULT_LANGUAGE",
    "DEFAULT_TIME_ZONE",
    "LANGUAGES",
    "N_",
    "TRANSLATED",
    "Localised",
    "Reader",
    "ReaderDefaults",
    "accept_language",
    "format_day",
    "format_moment",
    "install",
    "negotiate",
    "translate",
    "translations",
    "zone",
]
