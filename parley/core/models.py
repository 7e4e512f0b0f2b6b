from django.db import models


class TimeStamped(models.Model):
    created_at = models.DateTimeField(auto_now_add=True, db_index=False)
    updated_at = models.DateTimeField(auto_now=True)

    class Meta:
        abstract = True


class RateLimit(models.Model):
    """A fixed-window counter: `count` hits of `key` since `window_start`. Written only by
    parley.core.ratelimit, in one statement, so processes sharing the database count together."""

    key = models.CharField(max_length=100, unique=True)
    window_start = models.DateTimeField()
    count = models.PositiveIntegerField(default=0)

    def __str__(self) -> str:
        return f"{self.key}: {self.count} since {self.window_start:%Y-%m-%d %H:%M}"
