-- Issue 21: a global daily emission budget for edge VAU rewards, enforced where the money is.
-- Every posting from system:vau_rewards adds its total to today's row (UTC day) in the same
-- database transaction; the CHECK refuses a posting that would take the day past its budget, so
-- the ledger transaction rolls back with it and no concurrent batch can slip past (the row is
-- locked by the upsert until commit). The budget is the application's configured value
-- (rewards.emission.budget, per environment), written with each posting.
CREATE TABLE emission_budget (
    day      DATE   PRIMARY KEY,
    budget   BIGINT NOT NULL,
    emitted  BIGINT NOT NULL DEFAULT 0,
    CONSTRAINT emission_budget_non_negative CHECK (budget >= 0 AND emitted >= 0),
    CONSTRAINT emission_budget_not_exceeded CHECK (emitted <= budget)
);
