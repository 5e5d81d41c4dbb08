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
