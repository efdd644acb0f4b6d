"""Links the product prints or sends are on SITE_URL (CONTRACT.md §6)."""

from django.test import SimpleTestCase, override_settings

from core.urls import absolute_url


class AbsoluteUrlTests(SimpleTestCase):
    @override_settings(SITE_URL="https://lobby.bank.example/")
    def test_a_path_is_put_on_the_site_address_with_one_slash(self):
        self.assertEqual(absolute_url("/months/2026-11/"), "https://lobby.bank.example/months/2026-11/")
        self.assertEqual(absolute_url("me/"), "https://lobby.bank.example/me/")

    def test_a_full_address_is_left_as_it_is(self):
        self.assertEqual(absolute_url("https://elsewhere.example/x"), "https://elsewhere.example/x")
