from django.conf import settings
from django.core.management import call_command
from django.core.management.base import BaseCommand

from portal.core.demo import DEMO_PASSWORD, seed_demo


class Command(BaseCommand):
    help = "Build the demo province (Jilin) with users for every role; safe to run twice."

    def handle(self, *args, **options):
        call_command("load_reference_data", stdout=self.stdout)
        ctx = seed_demo()
        self.stdout.write("")
        self.stdout.write(f"演示账号 / demo logins (password for all: {DEMO_PASSWORD})")
        width = max(len(label) for label, _u, _o in ctx.logins)
        for label, username, org in ctx.logins:
            self.stdout.write(f"  {label.ljust(width)}  {username:<10}  {org}")
        self.stdout.write("")
        if settings.REQUIRE_ADMIN_2FA:
            self.stdout.write("双因素认证：本模式要求管理员（admin_jl、admin_ln、platform）首次登录后用身份验证器扫码启用。")
        else:
            self.stdout.write("双因素认证：演示模式下可选（右上角“双因素认证”）；生产模式（DEBUG=0）要求管理员启用。")
