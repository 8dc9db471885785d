from django.contrib import admin
from django.contrib.auth import views as auth_views
from django.urls import include, path

from tracker.health import healthz

urlpatterns = [
    path("admin/", admin.site.urls),
    path("i18n/", include("django.conf.urls.i18n")),
    path("accounts/login/", auth_views.LoginView.as_view(), name="login"),
    path("accounts/logout/", auth_views.LogoutView.as_view(), name="logout"),
    path("accounts/", include("tracker.accounts")),
    path("healthz", healthz, name="healthz"),
    path("summaries/", include("commitments.jobs.urls")),
    path("outbox/", include("commitments.jobs.outbox_urls")),
    path("", include("commitments.urls")),
]
