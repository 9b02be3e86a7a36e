from django.apps import AppConfig


class Config(AppConfig):
    name = "waypoint.core"
    label = "core"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from waypoint.core import setup

        setup.register()  # the set-up list; the apps add its items (waypoint.core.registry.setup_items)
