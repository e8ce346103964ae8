"""Small pieces every app's views share: a service's errors onto a form, and list links that keep
the filters but not the page."""

from __future__ import annotations

from django.core.exceptions import ValidationError


def form_errors_to(form, exc: ValidationError) -> None:
    """A service's field-keyed errors onto the form; keys the form has no field for (and errors
    without a field) become form-wide errors, so none is lost."""
    if hasattr(exc, "error_dict"):
        for field, errors in exc.message_dict.items():
            form.add_error(field if field in form.fields else None, errors)
    else:
        form.add_error(None, exc.messages)


def query_without_page(request) -> str:
    """The list's query string without ``page``: the base for page links and exports of the same filters."""
    query = request.GET.copy()
    query.pop("page", None)
    return query.urlencode()
