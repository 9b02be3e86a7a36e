from waypoint.referrals.forms.services import ServiceForm

__all__ = ["ServiceForm"]
