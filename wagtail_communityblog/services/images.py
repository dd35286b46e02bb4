"""Members' uploads: into Wagtail's image library, in one collection for community uploads."""

from django.db import transaction
from wagtail.images import get_image_model
from wagtail.models import Collection

from ..conf import app_settings
from ..errors import PostingError
from ..models.members import suspension_refusal


def get_upload_collection():
    """Return the collection members' uploads go into, creating it the first time."""
    name = app_settings.IMAGE_COLLECTION
    root = Collection.get_first_root_node()
    with transaction.atomic():
        existing = root.get_children().filter(name=name).first()
        if existing is not None:
            return existing
        return root.add_child(name=name)


def create_image(uploaded_file, *, user, title=""):
    """Store an already-validated upload as a Wagtail image owned by ``user``."""
    Image = get_image_model()
    image = Image(
        title=(title or uploaded_file.name)[:255],
        file=uploaded_file,
        collection=get_upload_collection(),
        uploaded_by_user=user,
    )
    image.save()
    return image


def upload_image(uploaded_file, *, member, alt=""):
    """A member's upload from the post editor (an image to place in a post)."""
    refusal = suspension_refusal(member, "upload", PostingError)
    if refusal is not None:
        raise refusal
    return create_image(uploaded_file, user=member, title=alt)


def images_usable_by(user):
    """Images ``user`` may place in a post or on their blog: the ones they uploaded."""
    return get_image_model().objects.filter(uploaded_by_user=user)
