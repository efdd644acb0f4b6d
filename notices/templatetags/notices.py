from django import template

from notices.selectors import unread_count

register = template.Library()


@register.simple_tag(takes_context=True)
def notices_unread(context) -> int:
    """How many of the signed-in person's notices are unread, for the header."""
    request = context.get("request")
    user = getattr(request, "user", None)
    if user is None or not user.is_authenticated:
        return 0
    return unread_count(user=user)
