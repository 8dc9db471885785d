from django.urls import path, re_path

from . import views

urlpatterns = [
    path("", views.ledger, name="ledger"),
    re_path(r"^ledger/export\.(?P<fmt>xlsx|csv)$", views.ledger_export, name="ledger_export"),
    path("ledger/bulk-assign/", views.ledger_bulk_assign, name="ledger_bulk_assign"),
    path("c/<int:pk>/", views.commitment_detail, name="commitment"),
    path("c/<int:pk>/update/", views.update_create, name="update_create"),
    path("c/<int:pk>/assign/", views.commitment_assign, name="commitment_assign"),
    path("c/<int:pk>/milestones/", views.milestone_add, name="milestone_add"),
    path("milestones/<int:pk>/delete/", views.milestone_delete, name="milestone_delete"),
    path("evidence/<int:pk>/", views.evidence_download, name="evidence_download"),
    path("review/", views.review_queue, name="review_queue"),
    path("review/<int:pk>/accept/", views.update_accept, name="update_accept"),
    path("review/<int:pk>/return/", views.update_return, name="update_return"),
    path("inbox/", views.inbox, name="inbox"),
    path("dashboard/", views.dashboard, name="dashboard"),
    path("public/", views.public_index, name="public_index"),
    path("public/<int:pk>/", views.public_report, name="public_report"),
]
