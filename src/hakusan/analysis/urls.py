from django.urls import path

from . import views

app_name = "analysis"
urlpatterns = [
    path("", views.index, name="index"),
    path("campaigns/", views.campaign_list, name="campaigns"),
    path("campaigns/<int:pk>/", views.campaign_detail, name="campaign"),
    path("campaigns/<int:pk>/edit/", views.campaign_update, name="campaign_update"),
    path("campaigns/<int:pk>/cases/", views.campaign_add_cases, name="campaign_add_cases"),
    path(
        "campaigns/<int:pk>/cases/<int:case_pk>/remove/",
        views.campaign_remove_case,
        name="campaign_remove_case",
    ),
    path("campaigns/<int:pk>/tags/", views.campaign_tag, name="campaign_tag"),
    path(
        "campaigns/<int:pk>/tags/<int:tag_pk>/delete/", views.campaign_untag, name="campaign_untag"
    ),
    path("campaigns/<int:pk>/hypotheses/", views.add_hypothesis, name="add_hypothesis"),
    path(
        "campaigns/<int:pk>/hypotheses/<int:hypothesis_pk>/delete/",
        views.remove_hypothesis,
        name="remove_hypothesis",
    ),
    path("campaigns/<int:pk>/report/", views.report, name="report"),
    path("campaigns/<int:pk>/report.pdf", views.report_pdf, name="report_pdf"),
    path("suggestions/", views.suggestions, name="suggestions"),
    path("suggestions/accept/", views.accept_suggestion, name="accept"),
    path("knowledge/", views.knowledge, name="knowledge"),
    path("knowledge/autocomplete/", views.autocomplete, name="autocomplete"),
    path("actors/", views.actors, name="actors"),
    path("cases/<int:pk>/graph/", views.case_graph, name="case_graph"),
    path("cases/<int:pk>/graph.json", views.case_graph_json, name="case_graph_json"),
    path("cases/<int:pk>/similar/", views.case_similar, name="case_similar"),
    path("cases/<int:pk>/tags/", views.case_tag, name="case_tag"),
    path("cases/<int:pk>/tags/<int:tag_pk>/delete/", views.case_untag, name="case_untag"),
]
