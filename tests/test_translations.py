"""Every user-facing string of the package is in its translation catalogue template,
``wagtail_communityblog/locale/django.pot``, so that a site can translate the package (issue 16).
The template is made by ``makemessages`` (see docs/development.md, "Translations"); this test
makes it again and fails when the committed one is out of date."""

import re
import shutil
from pathlib import Path

import pytest
from django.core.management import call_command

import wagtail_communityblog

PACKAGE = Path(wagtail_communityblog.__file__).parent
CATALOGUE = PACKAGE / "locale" / "django.pot"


def messages(pot_text):
    """The (context, singular, plural) of every entry, whatever the references and dates."""
    entries = set()
    for block in pot_text.split("\n\n"):
        fields = {}
        key = None
        for line in block.splitlines():
            if line.startswith("#"):
                continue
            match = re.match(r'^(msgctxt|msgid_plural|msgid|msgstr(?:\[\d+\])?) "(.*)"$', line)
            if match:
                key, text = match.groups()
                fields[key] = text
            elif line.startswith('"') and key:
                fields[key] += line[1:-1]
        if fields.get("msgid"):
            entries.add((fields.get("msgctxt"), fields["msgid"], fields.get("msgid_plural")))
    return entries


@pytest.mark.skipif(shutil.which("xgettext") is None, reason="GNU gettext is not installed")
def test_the_catalogue_template_is_up_to_date(tmp_path, monkeypatch):
    copy = tmp_path / "wagtail_communityblog"
    shutil.copytree(
        PACKAGE, copy, ignore=shutil.ignore_patterns("__pycache__", "static", "migrations")
    )
    (copy / "locale" / "django.pot").unlink()
    monkeypatch.chdir(copy)
    call_command(
        "makemessages", locale=["en"], keep_pot=True, extensions=["html", "txt", "py"], verbosity=0
    )

    made = messages((copy / "locale" / "django.pot").read_text())
    committed = messages(CATALOGUE.read_text())
    assert made == committed, (
        f"locale/django.pot is out of date: {len(made - committed)} new, "
        f"{len(committed - made)} gone, e.g. {sorted(made ^ committed, key=str)[:5]}. "
        "Run `make messages`."
    )
    assert len(committed) > 500


def test_counted_strings_have_plural_forms():
    plurals = {plural for _, _, plural in messages(CATALOGUE.read_text()) if plural}

    assert "%(count)d posts are published here." in plurals
    assert "%(counter)s points" in plurals  # the promoted block's "1 point", "2 points"
