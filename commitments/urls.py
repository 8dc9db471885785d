from django.urls import path, re_path

from commitments.views import assign, dashboard, item, ledger, public, review, workflow

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
    path("review/", review.review_queue, name="review_queue"),
    path("review/<int:pk>/accept/", review.update_accept, name="update_accept"),
    path("review/<int:pk>/return/", review.update_return, name="update_return"),
    path("inbox/", review.inbox, name="inbox"),
    # the supervision cycle (督办流程)
    path("c/<int:pk>/acknowledge/", workflow.commitment_acknowledge, name="commitment_acknowledge"),
    path("c/<int:pk>/extension/", workflow.extension_request, name="extension_request"),
    path("extensions/", workflow.extension_list, name="extension_list"),
    path("extensions/<int:pk>/decide/", workflow.extension_decide, name="extension_decide"),
    path("c/<int:pk>/urge/", workflow.urging_issue, name="urging_issue"),
    path("urging/", workflow.urging_list, name="urging_list"),
    path("urging/proposed/", workflow.urging_proposed, name="urging_proposed"),
    path("urging/issue/", workflow.urging_issue_bulk, name="urging_issue_bulk"),
    path("urging/<int:pk>/answer/", workflow.urging_answer, name="urging_answer"),
    path("c/<int:pk>/instruct/", workflow.instruction_create, name="instruction_create"),
    path("instructions/bulk/", workflow.instruction_bulk, name="instruction_bulk"),
    path("c/<int:pk>/reopen/", workflow.commitment_reopen, name="commitment_reopen"),
    path("dashboard/", dashboard.dashboard, name="dashboard"),
    path("public/", public.public_index, name="public_index"),
    path("public/<int:pk>/", public.public_report, name="public_report"),
]
