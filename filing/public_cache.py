"""Whole public responses of the directory, kept in the shared cache until the directory changes.

The public directory page and API are read far more often than the directory changes, and
under load their cost is CPU per request (Django, the two queries, JSON or the template).
So the rendered response of a public GET is kept in the configured cache (Redis in
production) and served again as it is, until the directory changes.

Freshness does not depend on a time-out. Every cached response is tagged with the directory's
*generation*, a counter in the same cache, read in the same round trip as the response; a
response of an older generation is a miss. Every write that can change what the public sees
bumps the generation: the domain events (acceptance, cancellation) and a save of the rows the
directory reads (filings, item statuses, the catalogues, regions, a finished bulk import).
The bump happens at once, so that the writing transaction's own later reads miss, and again
after commit, so that a response computed by a concurrent request from the data of before the
commit, and cached in between, is dropped. A request reads the generation *before* it
queries, so what it stores is never tagged newer than what it read. ``PUBLIC_CACHE_SECONDS``
still bounds the life of an entry, for writes that reach the tables without a save (SQL by
hand, queryset.update()).

What is cached: 200 responses to GET/HEAD whose query parameters are all known filters, keyed
by scheme, host and full path (the API's next/previous links and the page's language-switch
form repeat them); pages also by language and date (the page shows the date) and only for
visitors without a session or pending messages, whose page is the same for everybody but the
CSRF token, which is put back fresh into every copy served. The API also answers conditional
GETs (ETag, 304).

Off unless ``PUBLIC_CACHE_SECONDS`` > 0; the settings turn it on only with Redis, because a
per-process cache would not see a bump made by another process. If the cache fails, the
request is answered from the database as if nothing were cached.
"""

from __future__ import annotations

import hashlib
import logging
import re
import time
from collections.abc import Callable
from functools import wraps

from django.conf import settings
from django.core.cache import cache
from django.db import transaction
from django.db.models.signals import post_delete, post_save
from django.http import HttpResponse, HttpResponseNotModified
from django.middleware.csrf import get_token
from django.utils import timezone
from django.utils.cache import patch_cache_control
from django.utils.http import parse_etags
from django.utils.translation import get_language

from .choices import FilingStatus

logger = logging.getLogger(__name__)

GENERATION_KEY = "public-directory:generation"
ENTRY_PREFIX = "public-directory:v1:"
# Query parameters of the public pages and API; a request with any other is answered but not
# cached, so that made-up parameters cannot fill the cache.
KNOWN_PARAMETERS = frozenset({"q", "region", "kind", "category", "item", "off_site", "page", "page_size"})
MAX_PATH_LENGTH = 600
CSRF_INPUT = re.compile(rb'(name="csrfmiddlewaretoken" value=")[^"]*(")')
CSRF_PLACEHOLDER = b"__public_directory_csrf__"


def enabled() -> bool:
    return getattr(settings, "PUBLIC_CACHE_SECONDS", 0) > 0


# ---- Storage -------------------------------------------------------------------------------
# With Redis the entries are read with redis-py directly, through one client per process: Django's
# cache builds a new client object on every call and pickles, about a tenth of the cost
# of a cached response. An entry is its bytes: "<generation> <etag>\n" and the body. Other
# caches (local memory in tests without Redis) go through Django's cache API.

class _DjangoStore:
    def get(self, key: str):
        values = cache.get_many([GENERATION_KEY, key])
        return values.get(GENERATION_KEY), values.get(key)

    def set(self, key: str, entry: tuple[int, bytes, str], timeout: int) -> None:
        cache.set(key, entry, timeout=timeout)

    def incr(self) -> None:
        cache.incr(GENERATION_KEY)

    def start(self, value: int) -> int:
        cache.add(GENERATION_KEY, value, timeout=None)
        return cache.get(GENERATION_KEY)

    def delete_generation(self) -> None:
        cache.delete(GENERATION_KEY)


class _RedisStore:
    def __init__(self, url: str) -> None:
        import redis

        self.url = url
        self.client = redis.Redis.from_url(url)

    def get(self, key: str):
        generation, raw = self.client.mget([GENERATION_KEY, key])
        entry = None
        if raw is not None:
            head, _, body = raw.partition(b"\n")
            tag, _, etag = head.partition(b" ")
            entry = (int(tag), body, etag.decode())
        return (int(generation) if generation is not None else None), entry

    def set(self, key: str, entry: tuple[int, bytes, str], timeout: int) -> None:
        generation, body, etag = entry
        self.client.set(key, f"{generation} {etag}\n".encode() + body, ex=timeout)

    def incr(self) -> None:
        if not self.client.exists(GENERATION_KEY):  # INCR would start a missing counter at 1
            raise ValueError("no generation")
        self.client.incr(GENERATION_KEY)

    def start(self, value: int) -> int:
        self.client.set(GENERATION_KEY, value, nx=True)
        return int(self.client.get(GENERATION_KEY))

    def delete_generation(self) -> None:
        self.client.delete(GENERATION_KEY)


_redis_stores: dict[str, _RedisStore] = {}


def _store_backend() -> _DjangoStore | _RedisStore:
    config = settings.CACHES.get("default", {})
    if config.get("BACKEND") == "django.core.cache.backends.redis.RedisCache" and isinstance(
            config.get("LOCATION"), str):
        store = _redis_stores.get(config["LOCATION"])
        if store is None:
            store = _redis_stores[config["LOCATION"]] = _RedisStore(config["LOCATION"])
        return store
    return _DjangoStore()


# ---- The generation ------------------------------------------------------------------------

def _new_generation() -> int:
    """A generation after any this cache held before (it starts from the clock, not from 0), in
    case the counter alone was evicted while responses tagged with it were not."""
    return _store_backend().start(time.time_ns())


def bump() -> None:
    """The directory changed: every cached response is now out of date."""
    try:
        try:
            _store_backend().incr()
        except ValueError:  # no counter yet, or it was evicted
            _new_generation()
    except Exception:  # the cache is down: nothing can be served from it either (see _lookup)
        logger.exception("public directory cache: could not bump the generation")


def directory_changed(**_kwargs) -> None:
    """Receiver of every change the public may see: bump now and again after commit."""
    bump()
    transaction.on_commit(bump)


# ---- Entries -------------------------------------------------------------------------------

def _key(request, *, page: bool) -> str | None:
    """The cache key of this request, or None when it is not to be cached."""
    if not enabled() or request.method not in ("GET", "HEAD"):
        return None
    if any(name not in KNOWN_PARAMETERS for name in request.GET):
        return None
    path = request.get_full_path()
    if len(path) > MAX_PATH_LENGTH:
        return None
    parts = [request.scheme, request.get_host(), path]
    if page:
        if request.COOKIES.get(settings.SESSION_COOKIE_NAME) or request.COOKIES.get("messages"):
            return None  # a signed-in visitor's page, or one with a message to show
        parts += [get_language() or "", timezone.localdate().isoformat()]
    digest = hashlib.blake2b("\n".join(parts).encode(), digest_size=16).hexdigest()
    return f"{ENTRY_PREFIX}{settings.DATABASES['default'].get('NAME', '')}:{'page' if page else 'api'}:{digest}"


def _lookup(key: str) -> tuple[int | None, tuple[bytes, str] | None]:
    """(the current generation, the entry (body, etag) if it is of that generation), in one round trip."""
    try:
        generation, entry = _store_backend().get(key)
        if generation is None:
            return _new_generation(), None
    except Exception:
        logger.exception("public directory cache: lookup failed")
        return None, None
    if entry is not None and entry[0] == generation:
        return generation, (entry[1], entry[2])
    return generation, None


def _store(key: str, generation: int, body: bytes) -> str:
    etag = f'"{hashlib.blake2b(body, digest_size=12).hexdigest()}"'
    try:
        _store_backend().set(key, (generation, body, etag), settings.PUBLIC_CACHE_SECONDS)
    except Exception:
        logger.exception("public directory cache: store failed")
    return etag


def _not_modified(request, etag: str) -> bool:
    return etag in parse_etags(request.headers.get("If-None-Match", ""))


def _api_headers(response: HttpResponse, etag: str) -> HttpResponse:
    # Anyone may keep a copy, but must ask again before using it: a change shows at once.
    response["ETag"] = etag
    patch_cache_control(response, public=True, no_cache=True)
    return response


def cached_api(view: Callable) -> Callable:
    """For an APIView's get(): serve the cached JSON (or 304), or compute, cache and serve it.

    The method must return a rendered HttpResponse (not a DRF Response) so its body can be kept.
    """

    @wraps(view)
    def wrapper(self, request, *args, **kwargs):
        key = _key(request, page=False)
        generation, entry = _lookup(key) if key else (None, None)
        if entry is not None:
            body, etag = entry
            if _not_modified(request, etag):
                return _api_headers(HttpResponseNotModified(), etag)
            return _api_headers(HttpResponse(body, content_type="application/json"), etag)
        response = view(self, request, *args, **kwargs)
        if generation is not None and response.status_code == 200:
            etag = _store(key, generation, response.content)
            _api_headers(response, etag)
            if _not_modified(request, etag):
                return _api_headers(HttpResponseNotModified(), etag)
        return response

    return wrapper


def cached_page(view: Callable) -> Callable:
    """For a public page view: serve the cached HTML with this visitor's CSRF token put in, or
    render, cache (without the token) and serve it."""

    @wraps(view)
    def wrapper(request, *args, **kwargs):
        key = _key(request, page=True)
        generation, entry = _lookup(key) if key else (None, None)
        if entry is not None:
            body = entry[0].replace(CSRF_PLACEHOLDER, get_token(request).encode())
            return HttpResponse(body, content_type="text/html; charset=utf-8")
        response = view(request, *args, **kwargs)
        if generation is not None and response.status_code == 200 and not response.streaming:
            _store(key, generation, CSRF_INPUT.sub(rb"\1" + CSRF_PLACEHOLDER + rb"\2", response.content))
        return response

    return wrapper


# ---- What bumps the generation -------------------------------------------------------------

def _filing_saved(sender, *, instance, **kwargs) -> None:
    # Accepted, or cancelled (leaving the directory). Drafts, submissions and returns of a first
    # filing are not public, and a change filing touches the filing only when accepted.
    if instance.status in (FilingStatus.ACCEPTED, FilingStatus.CANCELLED):
        directory_changed()


def _item_saved(sender, *, instance, update_fields=None, **kwargs) -> None:
    # An item's public status changes through filed_item_set_status (update_fields with "status").
    # Items are otherwise created and edited in drafts, public only once their version is
    # accepted, which saves the filing; a save without update_fields (the admin) is checked.
    if update_fields is not None:
        if "status" in update_fields:
            directory_changed()
        return
    from .models import Filing

    if Filing.objects.filter(current_version_id=instance.version_id).exists():
        directory_changed()


def _import_saved(sender, *, instance, **kwargs) -> None:
    # A bulk import writes its filings with bulk_create and COPY (no saves); its job's last
    # save says it is done.
    if instance.status == "done":
        directory_changed()


def _any_save(sender, **kwargs) -> None:
    directory_changed()


# (model, signal, receiver): the rows public_selectors reads.
MODEL_RECEIVERS = [
    ("filing.Filing", post_save, _filing_saved),
    ("filing.Filing", post_delete, _any_save),
    ("filing.FiledItem", post_save, _item_saved),
    ("filing.ImportJob", post_save, _import_saved),
    *[(model, signal, _any_save)
      for model in ("catalogue.CatalogueEdition", "catalogue.ExamCategory", "catalogue.ExamItem",
                    "catalogue.DiseaseCategory", "catalogue.Disease", "regions.Region")
      for signal in (post_save, post_delete)],
]


def listen(*domain_events) -> None:
    """Connect the receivers (idempotent: each has a dispatch_uid). filing.events calls it with
    its domain events, so every process that can write filings listens."""
    for event in domain_events:
        event.connect(_any_save, dispatch_uid=f"public-directory-cache:{id(event)}")
    for model, signal, receiver in MODEL_RECEIVERS:
        signal.connect(receiver, sender=model, weak=False,
                       dispatch_uid=f"public-directory-cache:{model}:{id(signal)}")
