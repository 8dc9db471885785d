from django.urls import path

from commitments.jobs import outbox_views

urlpatterns = [
    path("", outbox_views.outbox_list, name="outbox_list"),
    path("retry/", outbox_views.outbox_retry, name="outbox_retry"),
]
