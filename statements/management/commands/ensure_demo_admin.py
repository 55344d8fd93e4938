from django.conf import settings
from django.contrib.auth import get_user_model
from django.core.management.base import BaseCommand, CommandError


class Command(BaseCommand):
    help = "Development only: make sure a demo superuser 'admin' (password 'admin') exists."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("Refused: the demo admin is for development (DEBUG on) only.")
        User = get_user_model()
        if User.objects.filter(username="admin").exists():
            self.stdout.write("Demo admin already exists (admin / admin).")
            return
        User.objects.create_superuser("admin", "admin@localhost", "admin")
        self.stdout.write("Created demo admin: log in at /admin/ as admin / admin.")
