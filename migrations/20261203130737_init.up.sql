-- create "leads" table
CREATE TABLE "leads" ("id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "created_by" character varying NULL, "updated_by" character varying NULL, "first_name" character varying NOT NULL, "last_name" character varying NOT NULL, "company_name" character varying NOT NULL, "email" character varying NOT NULL, "email_normalized" character varying NOT NULL, "address" jsonb NULL, "source" character varying NOT NULL DEFAULT 'web', "status" character varying NOT NULL DEFAULT 'PENDING_VERIFICATION', "verified_at" timestamptz NULL, PRIMARY KEY ("id"));
-- create index "lead_created_at" to table: "leads"
CREATE INDEX "lead_created_at" ON "leads" ("created_at");
-- create index "lead_email_normalized" to table: "leads"
CREATE UNIQUE INDEX "lead_email_normalized" ON "leads" ("email_normalized");
-- create "outbox_events" table
CREATE TABLE "outbox_events" ("id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "created_by" character varying NULL, "updated_by" character varying NULL, "type" character varying NOT NULL, "subject" character varying NOT NULL, "tenant_id" uuid NULL, "data" jsonb NOT NULL, "status" character varying NOT NULL DEFAULT 'PENDING', "attempts" bigint NOT NULL DEFAULT 0, "last_error" character varying NULL, "published_at" timestamptz NULL, PRIMARY KEY ("id"));
-- create index "outboxevent_status_created_at" to table: "outbox_events"
CREATE INDEX "outboxevent_status_created_at" ON "outbox_events" ("status", "created_at");
-- create index "outboxevent_subject_created_at" to table: "outbox_events"
CREATE INDEX "outboxevent_subject_created_at" ON "outbox_events" ("subject", "created_at");
-- create "webhook_receipts" table
CREATE TABLE "webhook_receipts" ("id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "created_by" character varying NULL, "updated_by" character varying NULL, "signature" character varying NOT NULL, "attempt_id" uuid NOT NULL, "expires_at" timestamptz NOT NULL, PRIMARY KEY ("id"));
-- create index "webhook_receipts_signature_key" to table: "webhook_receipts"
CREATE UNIQUE INDEX "webhook_receipts_signature_key" ON "webhook_receipts" ("signature");
-- create index "webhookreceipt_expires_at" to table: "webhook_receipts"
CREATE INDEX "webhookreceipt_expires_at" ON "webhook_receipts" ("expires_at");
-- create "plans" table
CREATE TABLE "plans" ("id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "created_by" character varying NULL, "updated_by" character varying NULL, "key" character varying NOT NULL, "name" character varying NOT NULL, "description" character varying NULL, "tier" character varying NOT NULL, "deployment_model" character varying NOT NULL, "size" character varying NULL, "price" bigint NOT NULL, "currency" character varying NOT NULL, "billing_cycle" character varying NOT NULL, "identity_provider" character varying NOT NULL DEFAULT 'NONE', "active" boolean NOT NULL DEFAULT true, PRIMARY KEY ("id"));
-- create index "plan_key" to table: "plans"
CREATE UNIQUE INDEX "plan_key" ON "plans" ("key");
-- create index "plan_tier" to table: "plans"
CREATE INDEX "plan_tier" ON "plans" ("tier");
-- create "tenants" table
CREATE TABLE "tenants" ("id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "created_by" character varying NULL, "updated_by" character varying NULL, "key" character varying NOT NULL, "name" character varying NOT NULL, "status" character varying NOT NULL DEFAULT 'PENDING_PROVISION', "deployment_model" character varying NULL, "domains" jsonb NOT NULL, "address" jsonb NULL, "identity_provider" character varying NULL, "auth_id" character varying NULL, "source" character varying NOT NULL DEFAULT 'operator', "deleted_at" timestamptz NULL, "lead_id" uuid NULL, "plan_id" uuid NULL, PRIMARY KEY ("id"), CONSTRAINT "tenants_leads_tenant" FOREIGN KEY ("lead_id") REFERENCES "leads" ("id") ON UPDATE NO ACTION ON DELETE SET NULL, CONSTRAINT "tenants_plans_plan" FOREIGN KEY ("plan_id") REFERENCES "plans" ("id") ON UPDATE NO ACTION ON DELETE RESTRICT, CONSTRAINT "tenant_key_lower_case" CHECK ((key)::text = lower((key)::text)));
-- create index "tenant_created_at" to table: "tenants"
CREATE INDEX "tenant_created_at" ON "tenants" ("created_at");
-- create index "tenant_key" to table: "tenants"
CREATE UNIQUE INDEX "tenant_key" ON "tenants" ("key");
-- create index "tenant_name" to table: "tenants"
CREATE INDEX "tenant_name" ON "tenants" ("name");
-- create index "tenant_status" to table: "tenants"
CREATE INDEX "tenant_status" ON "tenants" ("status");
-- create index "tenants_lead_id_key" to table: "tenants"
CREATE UNIQUE INDEX "tenants_lead_id_key" ON "tenants" ("lead_id");
-- create "contacts" table
CREATE TABLE "contacts" ("id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "created_by" character varying NULL, "updated_by" character varying NULL, "first_name" character varying NOT NULL, "last_name" character varying NOT NULL, "email" character varying NOT NULL, "type" character varying NOT NULL DEFAULT 'OTHER', "is_primary" boolean NOT NULL DEFAULT false, "tenant_id" uuid NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "contacts_tenants_contacts" FOREIGN KEY ("tenant_id") REFERENCES "tenants" ("id") ON UPDATE NO ACTION ON DELETE CASCADE);
-- create index "contact_one_primary_per_tenant" to table: "contacts"
CREATE UNIQUE INDEX "contact_one_primary_per_tenant" ON "contacts" ("tenant_id") WHERE is_primary;
-- create index "contact_tenant_id_email" to table: "contacts"
CREATE INDEX "contact_tenant_id_email" ON "contacts" ("tenant_id", "email");
-- create "subscriptions" table
CREATE TABLE "subscriptions" ("id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "created_by" character varying NULL, "updated_by" character varying NULL, "status" character varying NOT NULL DEFAULT 'PENDING', "billing_anchor" timestamptz NULL, "current_period_start" timestamptz NULL, "current_period_end" timestamptz NULL, "plan_id" uuid NOT NULL, "tenant_id" uuid NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "subscriptions_plans_plan" FOREIGN KEY ("plan_id") REFERENCES "plans" ("id") ON UPDATE NO ACTION ON DELETE RESTRICT, CONSTRAINT "subscriptions_tenants_subscription" FOREIGN KEY ("tenant_id") REFERENCES "tenants" ("id") ON UPDATE NO ACTION ON DELETE CASCADE);
-- create index "subscriptions_tenant_id_key" to table: "subscriptions"
CREATE UNIQUE INDEX "subscriptions_tenant_id_key" ON "subscriptions" ("tenant_id");
-- create "invoices" table
CREATE TABLE "invoices" ("id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "created_by" character varying NULL, "updated_by" character varying NULL, "number" character varying NOT NULL, "period_start" date NOT NULL, "period_end" date NOT NULL, "amount" bigint NOT NULL, "currency" character varying NOT NULL, "issued_at" timestamptz NOT NULL, "due_date" date NOT NULL, "status" character varying NOT NULL DEFAULT 'PENDING', "paid_at" timestamptz NULL, "subscription_id" uuid NOT NULL, "tenant_id" uuid NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "invoices_subscriptions_invoices" FOREIGN KEY ("subscription_id") REFERENCES "subscriptions" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION, CONSTRAINT "invoices_tenants_invoices" FOREIGN KEY ("tenant_id") REFERENCES "tenants" ("id") ON UPDATE NO ACTION ON DELETE CASCADE, CONSTRAINT "invoice_period_order" CHECK (period_end >= period_start));
-- create index "invoice_number" to table: "invoices"
CREATE UNIQUE INDEX "invoice_number" ON "invoices" ("number");
-- create index "invoice_subscription_id_period_start" to table: "invoices"
CREATE UNIQUE INDEX "invoice_subscription_id_period_start" ON "invoices" ("subscription_id", "period_start");
-- create index "invoice_tenant_id_status" to table: "invoices"
CREATE INDEX "invoice_tenant_id_status" ON "invoices" ("tenant_id", "status");
-- create "lead_verifications" table
CREATE TABLE "lead_verifications" ("id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "created_by" character varying NULL, "updated_by" character varying NULL, "code_hash" bytea NOT NULL, "expires_at" timestamptz NOT NULL, "used_at" timestamptz NULL, "failed_attempts" bigint NOT NULL DEFAULT 0, "lead_verifications" uuid NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "lead_verifications_leads_verifications" FOREIGN KEY ("lead_verifications") REFERENCES "leads" ("id") ON UPDATE NO ACTION ON DELETE NO ACTION);
-- create "provisioning_attempts" table
CREATE TABLE "provisioning_attempts" ("id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "created_by" character varying NULL, "updated_by" character varying NULL, "number" bigint NOT NULL, "operation" character varying NOT NULL DEFAULT 'PROVISION', "plan_snapshot" jsonb NULL, "status" character varying NOT NULL DEFAULT 'PENDING', "context" character varying NOT NULL, "secret_ciphertext" bytea NOT NULL, "deadline" timestamptz NOT NULL, "started_at" timestamptz NULL, "finished_at" timestamptz NULL, "failure_reason" character varying NULL, "tenant_id" uuid NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "provisioning_attempts_tenants_provisioning_attempts" FOREIGN KEY ("tenant_id") REFERENCES "tenants" ("id") ON UPDATE NO ACTION ON DELETE CASCADE);
-- create index "provisioningattempt_status_deadline" to table: "provisioning_attempts"
CREATE INDEX "provisioningattempt_status_deadline" ON "provisioning_attempts" ("status", "deadline");
-- create index "provisioningattempt_tenant_id_number" to table: "provisioning_attempts"
CREATE UNIQUE INDEX "provisioningattempt_tenant_id_number" ON "provisioning_attempts" ("tenant_id", "number");
-- create "resources" table
CREATE TABLE "resources" ("id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "created_by" character varying NULL, "updated_by" character varying NULL, "type" character varying NOT NULL, "external_identifier" character varying NOT NULL, "metadata" jsonb NULL, "tenant_id" uuid NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "resources_tenants_resources" FOREIGN KEY ("tenant_id") REFERENCES "tenants" ("id") ON UPDATE NO ACTION ON DELETE CASCADE);
-- create index "resource_tenant_id_external_identifier" to table: "resources"
CREATE UNIQUE INDEX "resource_tenant_id_external_identifier" ON "resources" ("tenant_id", "external_identifier");
-- create "tenant_configs" table
CREATE TABLE "tenant_configs" ("id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "created_by" character varying NULL, "updated_by" character varying NULL, "key" character varying NOT NULL, "value" jsonb NOT NULL, "tenant_id" uuid NOT NULL, PRIMARY KEY ("id"), CONSTRAINT "tenant_configs_tenants_configs" FOREIGN KEY ("tenant_id") REFERENCES "tenants" ("id") ON UPDATE NO ACTION ON DELETE CASCADE);
-- create index "tenantconfig_tenant_id_key" to table: "tenant_configs"
CREATE UNIQUE INDEX "tenantconfig_tenant_id_key" ON "tenant_configs" ("tenant_id", "key");
-- create "tenant_status_changes" table
CREATE TABLE "tenant_status_changes" ("id" uuid NOT NULL, "created_at" timestamptz NOT NULL, "updated_at" timestamptz NOT NULL, "created_by" character varying NULL, "updated_by" character varying NULL, "from" character varying NULL, "to" character varying NOT NULL, "actor" character varying NOT NULL, "reason" character varying NULL, "tenant_id" uuid NOT NULL, "attempt_id" uuid NULL, PRIMARY KEY ("id"), CONSTRAINT "tenant_status_changes_provisioning_attempts_attempt" FOREIGN KEY ("attempt_id") REFERENCES "provisioning_attempts" ("id") ON UPDATE NO ACTION ON DELETE SET NULL, CONSTRAINT "tenant_status_changes_tenants_status_history" FOREIGN KEY ("tenant_id") REFERENCES "tenants" ("id") ON UPDATE NO ACTION ON DELETE CASCADE);
-- create index "tenantstatuschange_tenant_id_created_at" to table: "tenant_status_changes"
CREATE INDEX "tenantstatuschange_tenant_id_created_at" ON "tenant_status_changes" ("tenant_id", "created_at");
