"""Campaign actions: what the team sends a creator within a campaign, and how it stands.

One module per asset, each with its writes (services, owning their transaction) and reads
(selectors, scoped to a workspace):

- `files`: file attachments sent in a message (email through the outbox, or in-app);
- `links`: tracking links `/l/<code>` and their clicks (no IP address kept);
- `coupons`: a campaign's pool of coupon codes, one code per creator;
- `payments`: payments with the history of their status;
- `agreements`: agreements rendered from the campaign's template and frozen when sent;
- `gifts`: the product catalogue and gift offers (offered, selected, shipped);
- `delivery`: a link or code sent to the creator by email or in-app;
- `selectors`: every asset of a creator (thread sidebar, profile, PDF report) and the
  counts of a page of campaign members, in a handful of queries.

Every action needs the creator to be in the campaign, posts a system event in the
creator's thread and moves the member's last activity (`common`). Payments and agreements
also need a creator portal account (`portal`).
"""
