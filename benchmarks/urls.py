"""The benchmark's URLs: the example site's, and the floor of an HTTP vote (``vote_path.py
--http``): a view that does nothing but answer, behind everything a vote request passes
through before the vote (the middleware, the session, the user, the CSRF check, the form)."""

from django.http import JsonResponse
from django.urls import path
from django.views.decorators.http import require_POST

from example.urls import urlpatterns as site_urlpatterns


@require_POST
def floor(request, post_id):
    """What an HTTP vote costs before its own work: answers as the ``rate`` endpoint does."""
    if not request.user.is_authenticated:
        return JsonResponse({"error": "Log in to vote."}, status=403)
    return JsonResponse({"post": post_id, "value": int(request.POST.get("value", 0))})


urlpatterns = [path("bench/floor/<int:post_id>/", floor), *site_urlpatterns]
