"""Models behind the ``anyapi`` resources (see ``api.py``)."""

import uuid

from django.db import models


class Product(models.Model):
    """A primary key the caller chooses (an article number); a decimal price."""

    artnr = models.CharField(max_length=20, primary_key=True)
    name = models.CharField(max_length=100)
    price = models.DecimalField(max_digits=30, decimal_places=12, null=True, blank=True)


class SlugBasedNote(models.Model):
    """A slug as primary key."""

    slug = models.SlugField(max_length=50, primary_key=True)
    title = models.CharField(max_length=100)


class Note(models.Model):
    """A server-assigned key, a unique slug and a UUID (for ``detail_uri_name``)."""

    title = models.CharField(max_length=100)
    slug = models.SlugField(max_length=50, unique=True)
    body = models.TextField(blank=True, default="")
    uuid = models.UUIDField(default=uuid.uuid4, unique=True)


class Comment(models.Model):
    """Exposed without its ``id``: a schema with no primary-key field."""

    note = models.ForeignKey(Note, on_delete=models.CASCADE)
    text = models.CharField(max_length=200)


# ---- shapes from large open-source projects (see wild.py)


class Profile(models.Model):
    """A community directory's member: found by `username`; `public` ones are shown to
    anonymous users."""

    username = models.CharField(max_length=50, unique=True)
    public = models.BooleanField(default=True)


class GroupCategory(models.Model):
    """A category nested into groups without a URI of its own."""

    name = models.CharField(max_length=50)


class GroupProfile(models.Model):
    """A group of members, with nested categories."""

    title = models.CharField(max_length=100)
    users = models.ManyToManyField(Profile, blank=True)
    categories = models.ManyToManyField(GroupCategory, blank=True)


class Tag(models.Model):
    """An asset inventory's tag."""

    name = models.CharField(max_length=50)


class Thesaurus(models.Model):
    """A geospatial portal's thesaurus, named by its `identifier`."""

    identifier = models.CharField(max_length=50, unique=True)
    title = models.CharField(max_length=100)


class ThesaurusKeyword(models.Model):
    """A keyword of a thesaurus (served as `thesaurus/keywords`)."""

    thesaurus = models.ForeignKey(Thesaurus, on_delete=models.CASCADE, related_name="keywords")
    alt_label = models.CharField(max_length=100)
