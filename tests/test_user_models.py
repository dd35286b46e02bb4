"""Sites whose settings and user model differ from the example's: a UUID primary key, a
naive-datetime site."""

import uuid
from types import SimpleNamespace

import pytest
from django.db import connection, models
from django.test import override_settings

from wagtail_communityblog.checks import check_settings
from wagtail_communityblog.models import members
from wagtail_communityblog.services import deliveries


@pytest.mark.django_db
def test_a_user_model_with_a_uuid_key_is_asked_about_as_the_orm_would_ask(
    monkeypatch, django_assert_num_queries
):
    key = models.UUIDField(primary_key=True)
    uuid_users = SimpleNamespace(_meta=SimpleNamespace(pk=key))
    monkeypatch.setattr(members, "get_user_model", lambda: uuid_users)
    # SQLite cannot bind a UUID; the ORM sends its 32 hex digits there (a native uuid on
    # PostgreSQL). Before, these raised there, and publishing or voting with them.
    value = uuid.uuid4()
    native = connection.features.has_native_uuid_field
    assert members.user_id_param(connection, value) == (value if native else value.hex)
    if not native:  # (this suite's user table has integer keys: PostgreSQL would refuse)
        with django_assert_num_queries(2):
            assert members.is_suspended_id(value) is False
            assert members.is_held_id(value) is False
    # And an e-mail about such a member is recorded with the key as text (JSON has no UUID).
    someone = uuid.uuid4()
    delivery = deliveries.queue("comment", "comment:1:to:someone", someone, 1)
    delivery.refresh_from_db()
    assert delivery.arguments == [str(someone), 1]


def test_a_site_without_time_zone_support_is_told_before_anything_fails():
    with override_settings(USE_TZ=False):
        ids = [error.id for error in check_settings(None)]
    assert "wagtail_communityblog.E009" in ids
    assert "wagtail_communityblog.E009" not in [error.id for error in check_settings(None)]


@pytest.mark.django_db
def test_a_member_who_logs_in_by_e_mail_is_never_shown_by_their_address(community):
    from tests.factories import make_user
    from wagtail_communityblog.adapter import get_adapter
    from wagtail_communityblog.services.posts import save_blog

    member = make_user("alice@party.example", first_name="", last_name="")
    blog = save_blog(member, community=community, title="Alice on housing", intro="")

    assert get_adapter().display_name(member) == "alice"
    assert blog.slug == "alice"
    assert "party" not in blog.url_path


def test_an_unsubscribe_link_carries_a_uuid_key_and_reads_it_back(monkeypatch):
    from wagtail_communityblog.links import unsubscribe_token
    from wagtail_communityblog.services import comments

    # The link in a comment e-mail signs the member's key: a UUID could not go into it, so
    # every comment e-mail to such a member failed and was retried for ever.
    assert comments.read_unsubscribe_token(unsubscribe_token(7, 12)) == (7, 12)
    uuid_users = SimpleNamespace(_meta=SimpleNamespace(pk=models.UUIDField(primary_key=True)))
    monkeypatch.setattr(comments, "get_user_model", lambda: uuid_users)
    someone = uuid.uuid4()
    assert comments.read_unsubscribe_token(unsubscribe_token(someone, 12)) == (someone, 12)
    with pytest.raises(comments.CommentError):
        comments.read_unsubscribe_token(unsubscribe_token("not-a-uuid", 12))
