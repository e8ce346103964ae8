import re
from datetime import date

from django import forms
from django.utils.translation import gettext as _
from django.utils.translation import gettext_lazy

LINE_RE = re.compile(r"^(?P<day>\S+?)(?:[\s,，、]+(?P<name>.*))?$")
DATE_RE = re.compile(r"^(\d{4})[-/.年](\d{1,2})[-/.月](\d{1,2})日?$")
NAME_MAX_LENGTH = 64
WEEKDAYS = [gettext_lazy("星期一"), gettext_lazy("星期二"), gettext_lazy("星期三"), gettext_lazy("星期四"),
            gettext_lazy("星期五"), gettext_lazy("星期六"), gettext_lazy("星期日")]


def _parse_lines(text: str) -> tuple[list[tuple[int, date, str]], list[str]]:
    """Lines like "2027-02-06 春节" as (line number, date, name), with one error per bad line."""
    entries, errors = [], []
    for number, raw in enumerate(text.splitlines(), start=1):
        line = raw.strip()
        if not line or line.startswith("#"):
            continue
        match = LINE_RE.match(line)
        day_text, name = match["day"], (match["name"] or "").strip()
        parts = DATE_RE.match(day_text)
        try:
            day = date(*(int(p) for p in parts.groups())) if parts else None
        except ValueError:
            day = None
        if day is None:
            errors.append(_("第 %(line)s 行：“%(text)s”不是有效日期，请写成 2027-02-06 的形式。")
                          % {"line": number, "text": day_text})
        elif len(name) > NAME_MAX_LENGTH:
            errors.append(_("第 %(line)s 行：名称不能超过 %(max)s 个字。") % {"line": number, "max": NAME_MAX_LENGTH})
        else:
            entries.append((number, day, name))
    return entries, errors


class CalendarYearForm(forms.Form):
    """One year's schedule as published in the State Council notice (国务院办公厅关于××年部分节假日安排的通知)."""

    year = forms.IntegerField(label=gettext_lazy("年份"), min_value=2000, max_value=2100)
    note = forms.CharField(label=gettext_lazy("依据（通知文号）"), max_length=200,
                           help_text=gettext_lazy("例如：国办发明电〔2025〕7号"))
    holidays = forms.CharField(
        label=gettext_lazy("放假日期"), widget=forms.Textarea(attrs={"rows": 16}),
        help_text=gettext_lazy("每行一天：日期 节日名称，例如“2027-02-06 春节”。请按通知逐日列出放假的每一天。"),
    )
    workdays = forms.CharField(
        label=gettext_lazy("调休上班日期"), required=False, widget=forms.Textarea(attrs={"rows": 6}),
        help_text=gettext_lazy("每行一天，只能是星期六或星期日，例如“2027-02-20 春节”。没有调休可留空。"),
    )

    def clean_holidays(self):
        return self._clean_lines("holidays")

    def clean_workdays(self):
        return self._clean_lines("workdays")

    def _clean_lines(self, field: str) -> list[tuple[int, date, str]]:
        entries, errors = _parse_lines(self.cleaned_data.get(field) or "")
        if errors:
            raise forms.ValidationError(errors)
        return entries

    def clean(self):
        cleaned = super().clean()
        year = cleaned.get("year")
        holidays, workdays = cleaned.get("holidays"), cleaned.get("workdays")
        if year is None or holidays is None or workdays is None:
            return cleaned
        labels = {"holidays": _("放假日期"), "workdays": _("调休上班日期")}
        seen: dict[date, tuple[str, int]] = {}
        for field, entries in (("holidays", holidays), ("workdays", workdays)):
            for number, day, _name in entries:
                if day.year != year:
                    self.add_error(field, _("第 %(line)s 行：%(day)s 不属于 %(year)s 年。")
                                   % {"line": number, "day": day.isoformat(), "year": year})
                if day in seen:
                    other_field, other_line = seen[day]
                    self.add_error(field, _("第 %(line)s 行：%(day)s 与%(where)s第 %(other)s 行重复。") % {
                        "line": number, "day": day.isoformat(), "other": other_line,
                        "where": "" if other_field == field else labels[other_field]})
                else:
                    seen[day] = (field, number)
                if field == "workdays" and day.weekday() < 5:
                    self.add_error(field, _("第 %(line)s 行：%(day)s 是%(weekday)s，本来就上班，不需要登记为调休上班日。")
                                   % {"line": number, "day": day.isoformat(), "weekday": WEEKDAYS[day.weekday()]})
        if not holidays and "holidays" not in self.errors:
            self.add_error("holidays", _("请至少录入一个放假日期。"))
        return cleaned

    def schedule(self) -> dict:
        """Keyword arguments for calendar_year_save."""
        data = self.cleaned_data
        return {
            "year": data["year"],
            "note": data["note"],
            "holidays": [(day, name) for _line, day, name in data["holidays"]],
            "workdays": [(day, name) for _line, day, name in data["workdays"]],
        }
