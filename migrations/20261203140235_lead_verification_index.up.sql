-- create index "leadverification_lead_verifications" to table: "lead_verifications"
CREATE INDEX "leadverification_lead_verifications" ON "lead_verifications" ("lead_verifications");
