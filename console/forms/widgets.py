"""Widgets the console writes itself because Django's cost too much on a busy page."""

from django import forms
from django.utils.html import format_html, format_html_join
from django.utils.safestring import mark_safe


def _attributes(attrs: dict) -> str:
    # As django/forms/widgets/attrs.html: False leaves the attribute out, True writes its name alone.
    return format_html_join(
        "", "{}", ((format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value),)
                   for name, value in attrs.items() if value is not False)
    )  # fmt: skip


class QuickSelect(forms.Select):
    """A <select> with the markup of Django's, written in Python.

    Django renders every <option> through a template of its own (and its attributes through
    another): a branch filter's 220 options took a third of the scorecards page's time.
    tests/console/test_page_cost.py compares the two."""

    def render(self, name, value, attrs=None, renderer=None):
        widget = self.get_context(name, value, attrs)["widget"]
        parts = [format_html('<select name="{}"{}>', widget["name"], _attributes(widget["attrs"]))]
        for group_name, options, _index in widget["optgroups"]:
            if group_name:
                parts.append(format_html('\n  <optgroup label="{}">', group_name))
            for option in options:
                parts.append(
                    format_html(
                        '\n  <option value="{}"{}>{}</option>\n',
                        str(option["value"]),
                        _attributes(option["attrs"]),
                        option["label"],
                    )
                )
            if group_name:
                parts.append(mark_safe("\n  </optgroup>"))
        parts.append(mark_safe("\n</select>"))
        return mark_safe("".join(parts))
