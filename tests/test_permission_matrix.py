"""Every URL of the project, requested by every kind of caller, against the stated matrix.

The entries live in tests/permission_matrix.py and in each app's
``<app>/tests/permission_matrix.py``; see that module for the vocabulary.
"""

from __future__ import annotations

import importlib
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

import pytest
from django.apps import apps
from django.conf import settings
from django.db import transaction
from django.test import Client
from django.urls import URLResolver, get_resolver, resolve, reverse

from portal.accounts.choices import Role
from portal.audit.models import AuditEntry
from portal.regions.models import Region
from tests import permission_matrix as pm

FAST_HASHERS = ["django.contrib.auth.hashers.MD5PasswordHasher"]
REDIRECTS = {301, 302, 303, 307, 308}


@dataclass(frozen=True)
class Route:
    key: str
    route: str  # as ResolverMatch.route spells it
    has_format: bool


def _join(prefix: str, route: str) -> str:
    # The same joining as django.urls.URLResolver, so routes compare with ResolverMatch.route.
    return route if not prefix else prefix + route.removeprefix("^")


def iter_routes(resolver=None, prefix: str = "", namespace: str = ""):
    resolver = resolver or get_resolver()
    for pattern in resolver.url_patterns:
        route = _join(prefix, str(pattern.pattern))
        if isinstance(pattern, URLResolver):
            inner = ":".join(part for part in (namespace, pattern.namespace) if part)
            yield from iter_routes(pattern, route, inner)
        else:
            name = f"{namespace}:{pattern.name}" if namespace and pattern.name else pattern.name
            yield Route(key=name or route, route=route, has_format="format" in pattern.pattern.regex.groupindex)


def _project_apps():
    base = Path(settings.BASE_DIR).resolve()
    for config in apps.get_app_configs():
        path = Path(config.path).resolve()
        if path.is_relative_to(base) and ".venv" not in path.parts:
            yield config


def matrix_module_names() -> list[str]:
    """An app may split its entries: tests/permission_matrix.py, tests/permission_matrix_<part>.py."""
    names = []
    for config in _project_apps():
        for path in sorted((Path(config.path) / "tests").glob("permission_matrix*.py")):
            names.append(f"{config.name}.tests.{path.stem}")
    return names


def collect_matrix() -> tuple[dict[str, pm.Entry], list[str]]:
    """The merged matrix, and the keys stated by more than one module."""
    sources: list[tuple[str, dict]] = [(pm.__name__, pm.MATRIX)]
    for module_name in matrix_module_names():
        sources.append((module_name, importlib.import_module(module_name).MATRIX))
    merged: dict[str, pm.Entry] = {}
    origin: dict[str, str] = {}
    conflicts = []
    for source, matrix in sources:
        for key, entry in matrix.items():
            if key in merged:
                conflicts.append(f"{key!r} in {origin[key]} and {source}")
                continue
            merged[key] = entry
            origin[key] = source
    for key, entry in pm.DEFAULTS.items():
        merged.setdefault(key, entry)
    return merged, conflicts


def _prefix_rule(route: str) -> str | None:
    return next((prefix for prefix in pm.PREFIX_RULES if route.startswith(prefix)), None)


ROUTES = list(iter_routes())
MATRIX, CONFLICTS = collect_matrix()
ROUTE_KEYS = sorted({r.key for r in ROUTES if _prefix_rule(r.route) is None})


# ---- The matrix itself -----------------------------------------------------------------

def test_every_url_pattern_is_in_the_matrix():
    missing = sorted({f"{r.key}  ({r.route})" for r in ROUTES
                      if r.key not in MATRIX and _prefix_rule(r.route) is None})
    assert not missing, (
        "URL patterns without a permission-matrix entry (add them to tests/permission_matrix.py or to "
        "<app>/tests/permission_matrix.py):\n  " + "\n  ".join(missing)
    )


def test_matrix_names_no_vanished_url():
    keys = {r.key for r in ROUTES}
    stale = sorted(key for key, entry in MATRIX.items()
                   if key not in keys and key not in pm.DEFAULTS and not entry.optional)
    assert not stale, f"matrix entries for URLs that no longer exist: {stale}"


def test_no_url_is_stated_twice():
    assert not CONFLICTS, f"stated by two modules: {CONFLICTS}"


def test_every_entry_states_every_caller():
    bad = []
    for key, entry in {**MATRIX, **pm.PREFIX_RULES}.items():
        for method, table in (("GET", entry.get), ("POST", entry.post)):
            if table is not None and set(table) != set(pm.CALLERS):
                bad.append(f"{method} {key}: {sorted(set(pm.CALLERS) ^ set(table))}")
        if entry.post is not None and entry.data is None:
            bad.append(f"POST {key}: no data")
    assert not bad, bad


def test_the_matrix_sees_app_modules(monkeypatch):
    """An app's own module is merged in; a key stated twice is reported."""
    import sys
    import types

    fake = types.ModuleType("portal.core.tests.permission_matrix")
    fake.MATRIX = {"core:healthz": pm.Entry(pm.everyone(pm.OK)), "extra:page": pm.Entry(pm.signed_in())}
    monkeypatch.setitem(sys.modules, "portal.core.tests", types.ModuleType("portal.core.tests"))
    monkeypatch.setitem(sys.modules, "portal.core.tests.permission_matrix", fake)
    original = matrix_module_names
    monkeypatch.setattr(sys.modules[__name__], "matrix_module_names",
                        lambda: [*original(), "portal.core.tests.permission_matrix"])
    merged, conflicts = collect_matrix()
    assert "extra:page" in merged
    assert any("core:healthz" in c for c in conflicts)


# ---- Requests ---------------------------------------------------------------------------

@pytest.fixture
def matrix_ctx(settings, role_users):
    settings.REQUIRE_ADMIN_2FA = False
    institution_user = role_users[Role.INSTITUTION]
    return pm.Ctx(users=role_users, objects={
        "organisation": institution_user.organisation,
        "user": institution_user,
        "county": Region.objects.get(code="220102"),
    })


@pytest.fixture(autouse=True)
def _fast_hashers(settings):
    # role_users creates eleven accounts per test; the real hasher would take most of the run.
    settings.PASSWORD_HASHERS = FAST_HASHERS


def _client(caller: str, ctx: pm.Ctx) -> Client:
    client = Client()
    if caller != pm.ANONYMOUS:
        client.force_login(ctx.users[caller])
    return client


def _sign_in_paths() -> set[str]:
    return {reverse(settings.LOGIN_URL), reverse("admin:login")}


def observe(response, path: str, caller: str) -> str:
    status = response.status_code
    if status in REDIRECTS:
        return pm.LOGIN if urlsplit(response["Location"]).path in _sign_in_paths() else pm.OK
    if 200 <= status < 300:
        return pm.OK
    if status in (401, 403) and caller == pm.ANONYMOUS and path.startswith("/api/"):
        return pm.LOGIN
    return {401: pm.LOGIN, 403: pm.FORBIDDEN, 404: pm.NOT_FOUND, 405: pm.NOT_ALLOWED}.get(status, f"HTTP {status}")


def _with_format_variants(key: str, urls: list[str]) -> list[str]:
    """A router route also answers as ``.json``; request that form too."""
    formats = [r for r in ROUTES if r.key == key and r.has_format]
    if not formats:
        return urls
    out = list(urls)
    for url in urls:
        match = resolve(urlsplit(url).path)
        if "format" not in match.kwargs:
            out.append(reverse(match.view_name, kwargs={**match.kwargs, "format": "json"}))
    return out


def _check_get(key: str, entry: pm.Entry, ctx: pm.Ctx, *, require_all_routes: bool) -> list[str]:
    urls = _with_format_variants(key, entry.urls(key, ctx))
    problems = []
    if require_all_routes:
        hit = {resolve(urlsplit(u).path).route for u in urls}
        for route in (r.route for r in ROUTES if r.key == key):
            if route not in hit:
                problems.append(f"route {route!r} is not exercised by the entry's url")
    for url in urls:
        path = urlsplit(url).path
        for caller in pm.CALLERS:
            got = observe(_client(caller, ctx).get(url), path, caller)
            if got != entry.get[caller]:
                problems.append(f"GET {url} as {caller}: expected {entry.get[caller]}, got {got}")
    return problems


@pytest.mark.parametrize("key", ROUTE_KEYS)
def test_get(key, matrix_ctx):
    entry = MATRIX.get(key)
    assert entry is not None, f"{key} has no permission-matrix entry"
    problems = _check_get(key, entry, matrix_ctx, require_all_routes=True)
    assert not problems, "\n".join(problems)


@pytest.mark.parametrize("prefix", sorted(pm.PREFIX_RULES))
def test_prefix_rule(prefix, matrix_ctx):
    problems = _check_get(prefix, pm.PREFIX_RULES[prefix], matrix_ctx, require_all_routes=False)
    assert not problems, "\n".join(problems)


POST_KEYS = sorted(key for key, entry in MATRIX.items() if entry.post is not None)


@pytest.mark.parametrize("key", POST_KEYS)
def test_post(key, matrix_ctx):
    """Wrong callers cannot write: each POST runs in a savepoint and is rolled back after."""
    entry = MATRIX[key]
    problems = []
    for url in entry.urls(key, matrix_ctx):
        for caller in pm.CALLERS:
            with transaction.atomic():
                client = _client(caller, matrix_ctx)
                before = AuditEntry.objects.count()
                response = client.post(url, entry.data(matrix_ctx, caller))
                written = AuditEntry.objects.count() > before
                transaction.set_rollback(True)
            got = observe(response, url, caller)
            if got == pm.OK:
                got = pm.WRITTEN if written else pm.REFUSED
            elif written:
                got = f"{got}, yet an audit row was written"
            if got != entry.post[caller]:
                problems.append(f"POST {url} as {caller}: expected {entry.post[caller]}, got {got}")
    assert not problems, "\n".join(problems)
