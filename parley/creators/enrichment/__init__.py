"""Enrichment: Fetch Email and TikTok audience figures from an enrichment provider.

- `providers/`: the provider interface and its adapters (one today: Influencers Club's
  public API). An adapter turns the provider's HTTP answers into `find_email` /
  `audience` results or typed errors; nothing else here knows the provider's format.
- `services.py`: requests (one row per creator), fulfilled in the worker (`tasks.py`),
  rate limits respected by rescheduling; `selectors.py`: what the pages and API show.
- `views.py` / `urls.py`: the pages' actions and the panel the inbox sidebar and the
  creator profile include (`templates/enrichment/`).

The package sits inside `creators` (it reads and writes creators and identities only); the
PDF report, which also reads campaigns and messages, is `parley.campaigns.report`.
"""
