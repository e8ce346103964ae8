import uuid

from .request_context import reset_request_meta, set_request_meta


class RequestContextMiddleware:
    def __init__(self, get_response):
        self.get_response = get_response

    def __call__(self, request):
        request_id = request.headers.get("X-Request-ID") or uuid.uuid4().hex
        token = set_request_meta({"request_id": request_id[:64], "ip": request.META.get("REMOTE_ADDR")})
        try:
            response = self.get_response(request)
        finally:
            reset_request_meta(token)
        response["X-Request-ID"] = request_id[:64]
        return response
