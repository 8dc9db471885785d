from django.urls import path, re_path

from commitments.views import assign, dashboard, imports, item, ledger, public, review

urlpatterns = [
    path("", ledger.ledger, name="ledger"),
    re_path(r"^ledger/export\.(?P<fmt>xlsx|csv)$", ledger.ledger_export, name="ledger_export"),
    path("ledger/bulk-assign/", ledger.ledger_bulk_assign, name="ledger_bulk_assign"),
    path("c/<int:pk>/", item.commitment_detail, name="commitment"),
    path("c/<int:pk>/update/", item.update_create, name="update_create"),
    path("c/<int:pk>/assign/", assign.commitment_assign, name="commitment_assign"),
    path("c/<int:pk>/milestones/", assign.milestone_add, name="milestone_add"),
    path("milestones/<int:pk>/delete/", assign.milestone_delete, name="milestone_delete"),
    path("evidence/<int:pk>/", item.evidence_download, name="evidence_download"),
    path("evidence/<int:pk>/view/", item.evidence_preview, name="evidence_preview"),
    path("review/", review.review_queue, name="review_queue"),
    path("review/accept/", review.updates_accept_bulk, name="updates_accept_bulk"),
    path("review/<int:pk>/accept/", review.update_accept, name="update_accept"),
    path("review/<int:pk>/return/", review.update_return, name="update_return"),
    path("inbox/", review.inbox, name="inbox"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("imports/", imports.import_list, name="import_list"),
    path("imports/<int:pk>/", imports.import_review, name="import_review"),
    path("imports/<int:pk>/correct/", imports.import_correct_view, name="import_correct"),
    path("imports/<int:pk>/undo/<int:index>/", imports.import_undo_view, name="import_undo"),
    path("imports/<int:pk>/place/", imports.import_place_view, name="import_place"),
    path("imports/<int:pk>/publish/", imports.import_publish_view, name="import_publish"),
    path("imports/<int:pk>/discard/", imports.import_discard_view, name="import_discard"),
    path("public/", public.public_index, name="public_index"),
    path("public/<int:pk>/", public.public_report, name="public_report"),
]
