from django.conf import settings
from django.contrib.auth import get_user_model
from django.contrib.auth.models import Group
from django.core.management.base import BaseCommand, CommandError

# Development only: one user per role, the password being the user name.
DEMO_USERS = (
    ("admin", "Admin", True),
    ("editor", "Editor", False),
    ("researcher", "Researcher", False),
)


class Command(BaseCommand):
    help = "Development only: demo users admin, editor and researcher (password = user name)."

    def handle(self, *args, **options):
        if not settings.DEBUG:
            raise CommandError("Refused: demo users are for development (DEBUG on) only.")
        User = get_user_model()
        for username, role, superuser in DEMO_USERS:
            user, created = User.objects.get_or_create(
                username=username, defaults={"email": f"{username}@localhost"}
            )
            if created:
                user.set_password(username)
                user.is_staff = user.is_superuser = superuser
                user.save()
            user.groups.add(Group.objects.get(name=role))
            state = "created" if created else "already there"
            self.stdout.write(f"Demo {role.lower()}: {username} / {username} ({state})")
