from django.urls import path

from waypoint.orgs.views import account, auth, orientation, staff

app_name = "orgs"
urlpatterns = [
    # Signing in
    path("login/", auth.login_view, name="login"),
    path("login/code/", auth.login_code, name="login_code"),
    path("login/setup/", auth.mfa_setup, name="mfa_setup"),
    path("login/resume/", auth.resume, name="resume"),
    path("activate/", auth.activate, name="activate"),
    path("activate/<str:legacy>/", auth.activate_legacy_link, name="activate_legacy"),
    path("logout/", auth.logout_view, name="logout"),
    path("confirm/", auth.step_up, name="step_up"),
    path("language/", account.set_language, name="set_language"),
    # The user's own account
    path("account/", account.account, name="account"),
    path("account/sessions/", account.sessions, name="sessions"),
    path("account/sessions/<int:number>/end/", account.end_session, name="end_session"),
    path("account/sessions/end-all/", account.end_all_sessions, name="end_all_sessions"),
    path("account/recovery-codes/", account.renew_recovery_codes, name="renew_recovery_codes"),
    path("account/list-labels/", account.person_labels, name="person_labels"),
    # Organisation admin
    path("staff/", staff.staff_list, name="staff_list"),
    path("staff/invite/", staff.staff_invite, name="staff_invite"),
    path("staff/<uuid:staff_id>/", staff.staff_detail, name="staff_detail"),
    path("staff/<uuid:staff_id>/deactivate/", staff.staff_deactivate, name="staff_deactivate"),
    path("staff/<uuid:staff_id>/reactivate/", staff.staff_reactivate, name="staff_reactivate"),
    path("staff/<uuid:staff_id>/reinvite/", staff.staff_reinvite, name="staff_reinvite"),
    path("staff/<uuid:staff_id>/unlock/", staff.staff_unlock, name="staff_unlock"),
    path("settings/", staff.org_settings, name="settings"),
    path("settings/sites/", staff.site_add, name="site_add"),
    path("settings/jurisdiction/", staff.jurisdiction_settings, name="jurisdiction"),
    path("settings/discretion/", staff.discretion_settings, name="discretion"),
    # Staff orientation (issue 13)
    path("orientation/", orientation.orientation_page, name="orientation"),
    path("settings/orientation/", orientation.orientation_admin, name="orientation_admin"),
]
