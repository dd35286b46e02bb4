"""The package's Wagtail admin: viewsets, filters, forms, policies and views, per feature.

``wagtail_hooks.py`` registers what is here; nothing in this package registers on import.
"""
