"""Certification: campaigns (HR and admins), attempts (trainee), results that can be trusted, reviews, certificates.

- Opening a campaign freezes each scenario's persona version (content hash) and the rubric (its text and
  hash): later edits publish new versions and never change a running campaign.
- An attempt's number is unique per (campaign, trainee) in the database, so two tabs starting at the same
  moment cannot both get a try: the second insert fails and is refused.
- An attempt is held by one browser session (``holder``), which checks in every second while its page is
  open (``holder_seen_at``, written at most every few seconds).  A new browser session of the same trainee
  (a reload, a dropped connection, a second tab) takes it over while the holder has been silent for less
  than ``attempt_reconnect_grace_seconds``; the clock keeps running, and the old session can no longer drive
  it.  After the grace the attempt counts as abandoned.  Past its deadline it expires; both end it and are
  graded on what was done.
- Pass or fail is computed in code (``policy``, pure, on the chats' typed grade reports); borderline and flagged
  results wait for a reviewer. Every change of a campaign, an attempt's result, a review and a certificate is in
  the audit chain.
- Reads never change data: attempts left past their deadline end when the staff pages call ``expire_overdue()``.
"""

from services.certification.certificates import Certificates, certificate_file_name
from services.certification.views import (
    AttemptView,
    CampaignReport,
    CampaignRow,
    CampaignSpec,
    CampaignView,
    CertificateCheck,
    CheckIn,
    ReviewView,
    WeakSpot,
)
from services.rate_limit import RateLimited


class CertificationService(Certificates):
    """Certification's use cases, one module per concern (``campaigns``, ``presence``, ``attempts``, ``outcomes``,
    ``review``, ``hr_report``, ``certificates``; the pass/fail rule in ``policy``), each building on the last."""


__all__ = ["AttemptView", "CampaignReport", "CampaignRow", "CampaignSpec", "CampaignView", "CertificateCheck",
           "CertificationService", "CheckIn", "RateLimited", "ReviewView", "WeakSpot", "certificate_file_name"]
