"""The three roles as groups with explicit permissions.

Researcher reads; Editor also reviews links, flags, attribution and adds
statements by hand; Admin also curates actors, groups, sources and events.
(Admins also need is_staff to enter the Django admin: that is per user.)
"""

from django.contrib.auth.management import create_permissions
from django.db import migrations

READ_MODELS = {
    "actors": ["actor", "alias", "role", "actorgroup"],
    "statements": ["source", "fetchattempt", "statement", "event", "eventlink", "tag",
                   "flag", "silencereview", "coverageinterval"],
}
EDITOR_PERMS = [
    ("statements", "add_eventlink"), ("statements", "change_eventlink"),
    ("statements", "add_flag"), ("statements", "change_flag"),
    ("statements", "add_statement"), ("statements", "change_statement"),
    ("statements", "change_silencereview"),
]
CURATED = {
    "actors": ["actor", "alias", "role", "actorgroup"],
    "statements": ["source", "event", "tag"],
}


def create_roles(apps, schema_editor):
    # Permissions are normally created after migrations run; make sure they exist now.
    for app_config in apps.get_app_configs():
        app_config.models_module = True
        create_permissions(app_config, apps=apps, verbosity=0)
        app_config.models_module = None
    Group = apps.get_model("auth", "Group")
    Permission = apps.get_model("auth", "Permission")

    def perms(pairs):
        found = []
        for app_label, codename in pairs:
            found.append(Permission.objects.get(content_type__app_label=app_label, codename=codename))
        return found

    read = [(app, f"view_{model}") for app, models in READ_MODELS.items() for model in models]
    curate = [
        (app, f"{action}_{model}")
        for app, models in CURATED.items()
        for model in models
        for action in ("add", "change", "delete")
    ]
    roles = {
        "Researcher": read,
        "Editor": read + EDITOR_PERMS,
        "Admin": read + EDITOR_PERMS + curate,
    }
    for name, pairs in roles.items():
        group, _ = Group.objects.get_or_create(name=name)
        group.permissions.set(perms(pairs))


def remove_roles(apps, schema_editor):
    apps.get_model("auth", "Group").objects.filter(
        name__in=["Researcher", "Editor", "Admin"]).delete()


class Migration(migrations.Migration):
    dependencies = [
        ("statements", "0002_editorial_flags_reviews_history"),
        ("actors", "0002_historicalactor"),
        ("auth", "0012_alter_user_first_name_max_length"),
        ("contenttypes", "0002_remove_content_type_name"),
    ]

    operations = [migrations.RunPython(create_roles, remove_roles)]
