"""factory_boy factories for the domain. Rows made here go through the same shape the
services produce; tests that check a service's own writes call the service instead."""

import factory
from django.utils import timezone

from parley.accounts.models import Client, Member, User, Workspace
from parley.campaigns.models import Campaign, CampaignMember
from parley.creators.models import Creator, Identity, Tag


class UserFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = User
        skip_postgeneration_save = True

    email = factory.Sequence(lambda n: f"user{n}@parley.test")
    username = factory.LazyAttribute(lambda u: u.email)
    first_name = factory.Faker("first_name")
    password = factory.PostGenerationMethodCall("set_password", "pw-for-tests-1")

    @factory.post_generation
    def saved(self, create, extracted, **kwargs):  # type: ignore[no-untyped-def]
        if create:
            self.save()


class WorkspaceFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Workspace

    name = factory.Sequence(lambda n: f"Workspace {n}")


class MemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Member

    workspace = factory.SubFactory(WorkspaceFactory)
    user = factory.SubFactory(UserFactory)
    role = Member.Role.OWNER


class ClientFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Client

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"Client {n}")


class CreatorFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Creator

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"Creator {n}")
    # as the model holds it (80 characters): a long one-word name is cut, not refused
    first_name = factory.LazyAttribute(lambda c: c.name.split()[0][:80])
    search_text = factory.LazyAttribute(lambda c: c.name.lower())


class IdentityFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Identity

    creator = factory.SubFactory(CreatorFactory)
    workspace = factory.LazyAttribute(lambda i: i.creator.workspace)
    kind = Identity.Kind.EMAIL
    value = factory.Sequence(lambda n: f"creator{n}@example.com")
    normalized = factory.LazyAttribute(lambda i: i.value.lower())


class TagFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Tag

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"tag{n}")


class CampaignFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = Campaign

    workspace = factory.SubFactory(WorkspaceFactory)
    name = factory.Sequence(lambda n: f"Campaign {n}")


class CampaignMemberFactory(factory.django.DjangoModelFactory):
    class Meta:
        model = CampaignMember

    campaign = factory.SubFactory(CampaignFactory)
    workspace = factory.LazyAttribute(lambda cm: cm.campaign.workspace)
    creator = factory.SubFactory(CreatorFactory, workspace=factory.SelfAttribute("..workspace"))
    status = CampaignMember.Status.INVITED


def now():  # type: ignore[no-untyped-def]
    return timezone.now()
