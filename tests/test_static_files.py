"""The package's static files deploy under the storages sites use in production: Django's
``ManifestStaticFilesStorage`` and WhiteNoise's ``CompressedManifestStaticFilesStorage`` both
post-process every CSS and JS file and fail on any reference to a file that is not shipped
(issue 16: Quill's source-map comments named maps the package does not ship)."""

import json

import pytest
from django.core.management import call_command
from django.test import override_settings

STORAGES = [
    "django.contrib.staticfiles.storage.ManifestStaticFilesStorage",
    "whitenoise.storage.CompressedManifestStaticFilesStorage",
]


@pytest.mark.parametrize("backend", STORAGES)
def test_collectstatic_passes_with_manifest_storage(tmp_path, backend):
    storages = {
        "default": {"BACKEND": "django.core.files.storage.FileSystemStorage"},
        "staticfiles": {"BACKEND": backend},
    }
    with override_settings(STATIC_ROOT=str(tmp_path), STORAGES=storages):
        call_command("collectstatic", interactive=False, verbosity=0)

    manifest = json.loads((tmp_path / "staticfiles.json").read_text())["paths"]
    for name in (
        "wagtail_communityblog/css/communityblog.css",
        "wagtail_communityblog/js/editor.js",
        "wagtail_communityblog/vendor/quill/quill.js",
        "wagtail_communityblog/vendor/quill/quill.snow.css",
    ):
        assert (tmp_path / manifest[name]).is_file(), name


def test_no_shipped_file_names_a_file_that_is_not_shipped():
    from pathlib import Path

    import wagtail_communityblog

    static = Path(wagtail_communityblog.__file__).parent / "static"
    for path in static.rglob("*"):
        if path.suffix in (".js", ".css"):
            text = path.read_text(encoding="utf-8")
            assert "sourceMappingURL" not in text, f"{path.name} names a source map"
