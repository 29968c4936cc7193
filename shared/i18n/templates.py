"""Jinja2 environments with gettext installed, one per language, so a surface renders each template in the
reader's language with no per-request set-up (jinja2.ext.i18n, new-style gettext: `_()` escapes and
formats its `%(name)s` arguments itself, and `{% trans %}` blocks are trimmed of their line breaks)."""

from datetime import datetime
from typing import Any

from jinja2 import BaseLoader, Environment, Template

from shared.i18n.catalogues import translations
from shared.i18n.dates import format_day, format_moment
from shared.i18n.languages import LANGUAGES, negotiate

I18N = "jinja2.ext.i18n"


def install(env: Environment, language: str) -> Environment:
    """Make `env` speak `language`: gettext, ngettext, pgettext and `{% trans %}` from its catalogue; the
    `when` filter (`{{ sent_at | when(time_zone) }}`) and `day` filter (`{{ due | day }}`) in its locale;
    the global `lang` for `<html lang>`. `env` must have been made with the jinja2.ext.i18n extension."""
    if I18N not in env.extensions and "jinja2.ext.InternationalizationExtension" not in env.extensions:
        env.add_extension(I18N)
    env.policies["ext.i18n.trimmed"] = True
    env.install_gettext_translations(translations(language), newstyle=True)  # type: ignore[attr-defined]
    env.globals["lang"] = language
    env.filters["when"] = lambda moment, time_zone=None: _when(moment, language, time_zone)
    env.filters["day"] = lambda day: format_day(day, language)
    return env


def _when(moment: datetime | str, language: str, time_zone: str | None) -> str:
    return format_moment(moment, language, time_zone)


class Localised:
    """The same templates in each of LANGUAGES: one Environment per language, made once (keyword
    arguments as for jinja2.Environment). `render(name, language, **context)` picks the environment by
    `negotiate(language)`, so an unserved or missing language renders English."""

    def __init__(self, loader: BaseLoader, **options: Any) -> None:
        extensions = [I18N, *options.pop("extensions", [])]
        self.environments = {
            lang: install(Environment(loader=loader, extensions=extensions, **options), lang) for lang in LANGUAGES
        }

    def environment(self, language: str | None) -> Environment:
        return self.environments[negotiate(language)]

    def get_template(self, name: str, language: str | None) -> Template:
        return self.environment(language).get_template(name)

    def render(self, name: str, language: str | None, /, **context: Any) -> str:
        return self.get_template(name, language).render(**context)


def translate(language: str, message: str, /, **values: Any) -> str:
    """`message` in `language` (for Python code that builds text outside a template, e.g. a subject),
    with `%(name)s` placeholders filled from `values`."""
    text = translations(negotiate(language)).gettext(message)
    return text % values if values else text


def N_(message: str) -> str:  # noqa: N802  # the gettext convention extractors look for
    """Marks a string made in Python for the catalogues (`make messages`), translated where it is shown."""
    return message
