"""The sign-in as every console request reads it: one query for the user, their membership
(role and scope, `staff.selectors.membership_of`) and the header's count of unread notices.

Django's ModelBackend reads the user, then `membership_of` and the header each asked again:
three queries on every page. Signing in, passwords and permissions are ModelBackend's own.
"""

from django.contrib.auth import get_user_model
from django.contrib.auth.backends import ModelBackend
from django.core.exceptions import ObjectDoesNotExist

from notices.selectors import with_unread_notices


class ConsoleBackend(ModelBackend):
    def get_user(self, user_id):
        users = get_user_model()._default_manager.select_related("membership__branch", "membership__staff")
        user = with_unread_notices(users).filter(pk=user_id).first()
        if user is None or not self.user_can_authenticate(user):
            return None
        try:
            user._membership_cache = user.membership
        except ObjectDoesNotExist:
            user._membership_cache = None
        return user
