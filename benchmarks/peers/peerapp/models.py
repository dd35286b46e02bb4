"""The models each peer's documentation asks for: something to vote on."""

from django.db import models
from vote.models import VoteModel


class VotedPost(VoteModel, models.Model):
    """django-vote: the voted model inherits ``VoteModel`` (counters on the row)."""

    title = models.CharField(max_length=100)

    def __str__(self):
        return self.title


class StarredPost(models.Model):
    """django-star-ratings: any model; its ``Rating`` row (generic relation) holds the counts."""

    title = models.CharField(max_length=100)

    def __str__(self):
        return self.title
