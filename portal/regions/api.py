from rest_framework import serializers, viewsets

from portal.accounts.permissions import PublicReadOnly

from .models import Region


class RegionSerializer(serializers.ModelSerializer):
    parent = serializers.SlugRelatedField(slug_field="code", read_only=True)

    class Meta:
        model = Region
        fields = ["code", "name", "level", "parent", "supervised_by_city"]


class RegionViewSet(viewsets.ReadOnlyModelViewSet):
    """The GB/T 2260 tree is public reference data."""

    serializer_class = RegionSerializer
    permission_classes = [PublicReadOnly]
    authentication_classes = []
    lookup_field = "code"
    filterset_fields = ["level", "parent__code"]

    def get_queryset(self):
        return Region.objects.select_related("parent").order_by("code")
