"""Widgets the console writes itself because Django's cost too much on a busy page."""

from html import escape

from django import forms
from django.utils.html import format_html, format_html_join
from django.utils.safestring import SafeData, mark_safe


def _attributes(attrs: dict) -> str:
    # As django/forms/widgets/attrs.html: False leaves the attribute out, True writes its name alone.
    return format_html_join(
        "", "{}", ((format_html(" {}", name) if value is True else format_html(' {}="{}"', name, value),)
                   for name, value in attrs.items() if value is not False)
    )  # fmt: skip


def _text(value) -> str:
    # What the template's autoescape writes for {{ value }}: safe text as it is, the rest escaped.
    return str(value) if isinstance(value, SafeData) else escape(str(value))


class QuickSelect(forms.Select):
    """A <select> with the markup of Django's, written in Python.

    Django renders every <option> through a template of its own (and its attributes through
    another), and first builds a dictionary of a dozen keys for each (`optgroups`,
    `create_option`): a branch filter's 220 options took a third of the scorecards page's time,
    and then, written with `format_html` from those dictionaries, still 9 ms of it. This walks the
    choices once, as `ChoiceWidget.optgroups` does (the first option whose value matches is the
    one selected). tests/console/test_page_cost.py compares the two."""

    def render(self, name, value, attrs=None, renderer=None):
        attrs = self.build_attrs(self.attrs, attrs)
        if self.allow_multiple_selected:
            attrs["multiple"] = True
        chosen = set(self.format_value(value))
        parts = [format_html('<select name="{}"{}>', name, _attributes(attrs))]
        has_selected = False
        for option_value, option_label in self.choices:
            if option_value is None:
                option_value = ""
            if isinstance(option_label, (list, tuple)):
                group_name, options = option_value, option_label
            else:
                group_name, options = None, ((option_value, option_label),)
            if group_name:
                parts.append(f'\n  <optgroup label="{_text(group_name)}">')
            for subvalue, sublabel in options:
                subvalue = str(subvalue)
                selected = (not has_selected or self.allow_multiple_selected) and subvalue in chosen
                has_selected |= selected
                marked = " selected" if selected else ""
                parts.append(f'\n  <option value="{escape(subvalue)}"{marked}>{_text(sublabel)}</option>\n')
            if group_name:
                parts.append("\n  </optgroup>")
        parts.append("\n</select>")
        return mark_safe("".join(parts))
