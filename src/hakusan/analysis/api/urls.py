"""/api/analysis/: included by ``hakusan.api_urls`` (a router of its own, so the API root keeps
listing the core resources)."""

from rest_framework.routers import DefaultRouter

from .views import (
    CampaignViewSet,
    CaseGraphViewSet,
    KnowledgeViewSet,
    SimilarCasesViewSet,
    SuggestionViewSet,
    ThreatActorViewSet,
)

router = DefaultRouter(use_regex_path=False)
router.include_format_suffixes = False
router.register("campaigns", CampaignViewSet, basename="analysis-campaign")
router.register("suggestions", SuggestionViewSet, basename="analysis-suggestion")
router.register("actors", ThreatActorViewSet, basename="analysis-actor")
router.register("knowledge", KnowledgeViewSet, basename="analysis-knowledge")
router.register("case-graph", CaseGraphViewSet, basename="analysis-case-graph")
router.register("similar-cases", SimilarCasesViewSet, basename="analysis-similar-cases")

urlpatterns = router.urls
