from rest_framework import serializers, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from .models import Organisation


class RegionRefSerializer(serializers.Serializer):
    code = serializers.CharField()
    name = serializers.CharField()


class OrganisationSerializer(serializers.ModelSerializer):
    region = RegionRefSerializer()

    class Meta:
        model = Organisation
        fields = ["id", "name", "kind", "region", "credit_code", "is_active"]


class OrganisationViewSet(viewsets.ReadOnlyModelViewSet):
    """Organisations the caller may see: own province, within their jurisdiction."""

    serializer_class = OrganisationSerializer
    capability = "accounts.view_organisations"
    filterset_fields = ["kind", "is_active"]

    def get_queryset(self):
        return Organisation.objects.restrict(self.request.user).select_related("region").order_by("pk")


class MeView(APIView):
    capability = "portal.home"

    def get(self, request):
        user = request.user
        org = user.organisation
        return Response({
            "username": user.username,
            "full_name": user.full_name,
            "role": user.role,
            "organisation": {"id": org.pk, "name": org.name, "kind": org.kind} if org else None,
            "province": org.province.code if org and org.province_id else None,
        })
