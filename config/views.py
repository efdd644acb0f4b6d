from django.db import connection
from django.http import HttpResponse
from django.views.decorators.cache import never_cache


@never_cache
def healthz(request):
    """`ok` when the database answers (CONTRACT.md §4); 503 otherwise."""
    try:
        with connection.cursor() as cursor:
            cursor.execute("SELECT 1")
            cursor.fetchone()
    except Exception as error:  # any database failure means not healthy
        return HttpResponse(f"database unavailable: {error.__class__.__name__}", status=503, content_type="text/plain")
    return HttpResponse("ok", content_type="text/plain")
