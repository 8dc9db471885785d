from django.urls import path

from commitments.jobs import views

urlpatterns = [
    path("", views.summary_list, name="summary_list"),
    path("generate/", views.summary_generate, name="summary_generate"),
    path("<int:pk>/", views.summary_detail, name="summary_detail"),
    path("<int:pk>/progress/", views.summary_progress, name="summary_progress"),
    path("<int:pk>/xlsx/", views.summary_xlsx, name="summary_xlsx"),
]
