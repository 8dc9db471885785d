"""The web UI, one module per screen family.

Views are thin: permissions from ``commitments.access``, reads from ``selectors``, writes
through ``services``. Every screen is a full page that also answers htmx with just its
swappable partial ("page.html#partial"), so it works as plain links and forms.
"""
