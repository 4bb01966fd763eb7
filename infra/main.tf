data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}

locals {
  prefix       = "thoth-${var.environment}"
  account_id   = data.aws_caller_identity.current.account_id
  bucket_name  = var.bucket_name != "" ? var.bucket_name : "${local.prefix}-${local.account_id}"
  mcp_name     = "${local.prefix}-mcp-server"
  refresh_name = "${local.prefix}-refresh-service"
  # The schedule's interval in seconds, for "rate(N unit)" expressions; a cron schedule counts as a day.
  rate_parts  = regexall("^rate\\((\\d+) (minute|minutes|hour|hours|day|days)\\)$", var.refresh_schedule)
  rate_unit_s = { minute = 60, minutes = 60, hour = 3600, hours = 3600, day = 86400, days = 86400 }
  refresh_interval_s = (
    length(local.rate_parts) > 0
    ? tonumber(local.rate_parts[0][0]) * local.rate_unit_s[local.rate_parts[0][1]]
    : 86400
  )

  # OAuth (off unless configured): an external issuer (oauth_issuer) wins over the optional Cognito
  # pool. Which THOTH_OAUTH_* variables exist depends only on input variables, so the plan knows them
  # even while the pool's own values (its id, the app client) are still "known after apply".
  use_cognito  = var.enable_cognito && var.oauth_issuer == ""
  oauth_issuer = local.use_cognito ? one(module.cognito[*].issuer) : var.oauth_issuer
  oauth_environment = var.oauth_issuer == "" && !var.enable_cognito ? {} : merge(
    { THOTH_OAUTH_ISSUER = local.oauth_issuer },
    var.oauth_audience != "" ? { THOTH_OAUTH_AUDIENCE = var.oauth_audience } : local.use_cognito ? { THOTH_OAUTH_AUDIENCE = one(module.cognito[*].client_id) } : {},
    var.oauth_scopes != "" ? { THOTH_OAUTH_SCOPES = var.oauth_scopes } : local.use_cognito ? { THOTH_OAUTH_SCOPES = one(module.cognito[*].scope) } : {},
    var.oauth_jwks_url != "" ? { THOTH_OAUTH_JWKS_URL = var.oauth_jwks_url } : local.use_cognito ? { THOTH_OAUTH_JWKS_URL = one(module.cognito[*].jwks_url) } : {},
    var.oauth_resource != "" ? { THOTH_OAUTH_RESOURCE = var.oauth_resource } : {},
    var.oauth_algorithms != "" ? { THOTH_OAUTH_ALGORITHMS = var.oauth_algorithms } : {},
    var.source_access != null ? { THOTH_SOURCE_ACCESS = jsonencode(var.source_access) } : {},
  )
}

module "cognito" {
  source              = "./modules/cognito"
  count               = var.enable_cognito ? 1 : 0
  prefix              = local.prefix
  domain_prefix       = var.cognito_domain_prefix != "" ? var.cognito_domain_prefix : "${local.prefix}-${local.account_id}"
  callback_urls       = var.cognito_callback_urls
  deletion_protection = var.deletion_protection
  groups              = var.source_access != null ? keys(var.source_access.groups) : []
}

module "storage" {
  source                       = "./modules/storage"
  bucket_name                  = local.bucket_name
  index_version_retention_days = var.index_version_retention_days
  artifact_retention_days      = var.artifact_retention_days
  require_tls                  = var.require_tls
  force_destroy                = var.force_destroy
}

module "state" {
  source              = "./modules/state"
  table_name          = "${local.prefix}-mcp-state"
  deletion_protection = var.deletion_protection
}

module "secrets" {
  source        = "./modules/secrets"
  environment   = var.environment
  recovery_days = var.secret_recovery_days
}

module "iam" {
  source                = "./modules/iam"
  prefix                = local.prefix
  partition             = data.aws_partition.current.partition
  region                = var.region
  account_id            = local.account_id
  mcp_function_name     = local.mcp_name
  refresh_function_name = local.refresh_name
  bucket_arn            = module.storage.bucket_arn
  table_arn             = module.state.table_arn
  api_key_secret_arn    = module.secrets.api_key_arn
  gitlab_secret_arn     = module.secrets.gitlab_token_arn
  cursor_secret_arn     = module.secrets.cursor_key_arn
  s3_sources            = var.s3_sources
  queue_arn             = module.refresh_service.queue_arn
  dlq_arn               = module.refresh_service.dlq_arn
}

module "mcp_server" {
  source                  = "./modules/mcp_server"
  function_name           = local.mcp_name
  environment             = var.environment
  role_arn                = module.iam.mcp_role_arn
  bootstrap_zip           = var.bootstrap_zip
  runtime                 = var.mcp_runtime
  architecture            = var.mcp_architecture
  runtimes                = var.mcp_runtimes
  snap_start              = var.mcp_snap_start
  bucket_name             = module.storage.bucket_name
  table_name              = module.state.table_name
  log_level               = var.log_level
  log_retention_days      = var.log_retention_days
  memory_mb               = var.mcp_memory_mb
  timeout_s               = var.mcp_timeout_s
  provisioned_concurrency = var.mcp_provisioned_concurrency
  reserved_concurrency    = var.mcp_reserved_concurrency
  enable_function_url     = var.enable_function_url
  enable_http_api         = var.enable_http_api
  alarm_actions           = var.alarm_actions
  oauth_environment       = local.oauth_environment
}

module "refresh_service" {
  source             = "./modules/refresh_service"
  function_name      = local.refresh_name
  environment        = var.environment
  role_arn           = module.iam.refresh_role_arn
  image_uri          = var.refresh_image_uri
  bucket_name        = module.storage.bucket_name
  table_name         = module.state.table_name
  log_level          = var.log_level
  log_retention_days = var.log_retention_days
  memory_mb          = var.refresh_memory_mb
  schedule           = var.refresh_schedule
  keep_images        = var.ecr_keep_images
  force_destroy      = var.force_destroy
  alarm_actions      = var.alarm_actions
}

module "observability" {
  source                = "./modules/observability"
  prefix                = local.prefix
  environment           = var.environment
  region                = var.region
  mcp_function_name     = local.mcp_name
  refresh_function_name = module.refresh_service.function_name
  queue_name            = "${local.refresh_name}-fanout"
  sources               = var.monitored_sources
  max_index_age_s       = coalesce(var.max_index_age_s, 2 * local.refresh_interval_s)
  refresh_interval_s    = local.refresh_interval_s
  alarm_emails          = var.alarm_emails
}

module "edge" {
  count        = var.enable_waf ? 1 : 0
  source       = "./modules/edge"
  providers    = { aws = aws.us_east_1 }
  name         = local.mcp_name
  http_api_url = module.mcp_server.http_api_url
  rate_limit   = var.waf_rate_limit
}
