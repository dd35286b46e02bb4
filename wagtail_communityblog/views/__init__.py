"""The front-end views, one module per feature: ``posts`` (the members' own pages),
``ratings`` (votes), ``curation`` (readers' reports), ``comments``; ``responses`` holds what they
all answer with (JSON or HTML, refusals, a safe ``next``)."""
