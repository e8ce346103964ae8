from drf_spectacular.utils import extend_schema
from rest_framework import serializers, viewsets
from rest_framework.response import Response
from rest_framework.views import APIView

from .choices import OrgKind, Role
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


class OrganisationRefSerializer(serializers.Serializer):
    id = serializers.IntegerField()
    name = serializers.CharField()
    kind = serializers.ChoiceField(choices=OrgKind.choices)


class MeSerializer(serializers.Serializer):
    username = serializers.CharField()
    full_name = serializers.CharField()
    role = serializers.ChoiceField(choices=Role.choices)
    organisation = OrganisationRefSerializer(allow_null=True)
    province = serializers.CharField(allow_null=True, source="organisation.province.code", default=None)


class MeView(APIView):
    """The signed-in caller: who they are and what role their organisation gives them."""

    capability = "portal.home"

    @extend_schema(responses=MeSerializer)
    def get(self, request):
        return Response(MeSerializer(request.user).data)
