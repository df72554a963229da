-- Issue 21: an unverified registration no longer reserves its e-mail address. Several influencers
-- may claim one address while unverified; only verified addresses are unique (case-insensitive),
-- so the first claim verified owns the address and a third party's pending claim cannot block the
-- owner. InfluencerService removes the other pending claims' tokens when one is verified.
DROP INDEX influencers_email_ci;
CREATE UNIQUE INDEX influencers_email_verified_ci ON influencers (lower(email)) WHERE email_verified_at IS NOT NULL;
CREATE INDEX influencers_email_lower ON influencers (lower(email));
