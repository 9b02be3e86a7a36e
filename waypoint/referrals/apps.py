from django.apps import AppConfig
from django.db.models.signals import post_migrate


class Config(AppConfig):
    name = "waypoint.referrals"
    label = "referrals"
    default_auto_field = "django.db.models.BigAutoField"

    def ready(self) -> None:
        from waypoint.referrals import (
            events,  # noqa: F401  (declares this app's audit event codes)
            home,
            hotline,
            parts,
        )

        parts.register()
        home.register()
        post_migrate.connect(hotline.on_post_migrate, sender=self, dispatch_uid="referrals.hotline")
