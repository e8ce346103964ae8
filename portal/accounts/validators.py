import re

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
