import re

from django.contrib.auth import password_validation
from django.core.exceptions import ValidationError
from django.utils.translation import gettext as _


class CharacterClassValidator:
    """Graded protection asks for passwords mixing letters, digits and symbols."""

    def validate(self, password, user=None):
        classes = [
            bool(re.search(r"[a-z]", password)),
            bool(re.search(r"[A-Z]", password)),
            bool(re.search(r"\d", password)),
            bool(re.search(r"[^A-Za-z0-9]", password)),
        ]
        if sum(classes) < 3:
            raise ValidationError(
                _("密码须至少包含大写字母、小写字母、数字、符号中的三类。"), code="password_character_classes"
            )

    def get_help_text(self):
        return _("密码须至少包含大写字母、小写字母、数字、符号中的三类。")


class MinimumLengthValidator(password_validation.MinimumLengthValidator):
    """Django's own, with a message that reads in Chinese: Django 5.2 changed the English
    text and its zh-hans catalogue still carries the old one."""

    def get_error_message(self):
        return _("密码太短，至少需要 %(min_length)d 个字符。") % {"min_length": self.min_length}
