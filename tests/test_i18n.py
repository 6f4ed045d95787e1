"""Both languages say the same things: same keys, same placeholders, no empty text."""

import string

import pytest

from lib.i18n import TEXTS, language_from_locale, t


def placeholders(text: str) -> set[str]:
    return {name for _, name, _, _ in string.Formatter().parse(text) if name}


@pytest.mark.parametrize("key", sorted(TEXTS))
def test_english_and_spanish_have_the_same_placeholders(key):
    en, es = TEXTS[key]
    assert en.strip() and es.strip()
    assert placeholders(en) == placeholders(es)


def test_spanish_uses_peruvian_official_vocabulary():
    assert "pistas de aterrizaje clandestinas" in t("type_airstrip_destroyed", "es")
    assert "inhabilitadas" in t("type_airstrip_destroyed", "es")
    assert "interdicción aérea" in t("type_aircraft_interdicted", "es")


@pytest.mark.parametrize(
    ("locale", "lang"), [("es-PE", "es"), ("es_419", "es"), ("en-US", "en"), (None, "en"), ("qu-PE", "en")]
)
def test_language_from_browser_locale(locale, lang):
    assert language_from_locale(locale) == lang
