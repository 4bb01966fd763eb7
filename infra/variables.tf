variable "environment" {
  description = "Environment name: dev, staging, prod or local (the embedded AWS)."
  type        = string
  validation {
    condition     = can(regex("^[a-z][a-z0-9-]{0,15}$", var.environment))
    error_message = "environment must be lowercase letters, digits and '-', e.g. dev."
  }
}

variable "region" {
  description = "AWS region."
  type        = string
  default     = "us-east-1"
}

variable "aws_endpoint" {
  description = "Endpoint for every AWS service (the embedded moto server for `local`); empty for real AWS."
  type        = string
  default     = ""
}

variable "bucket_name" {
  description = "S3 bucket for index versions and build artifacts; empty derives thoth-<env>-<account id>."
  type        = string
  default     = ""
}

variable "log_level" {
  description = "LOG_LEVEL of both functions."
  type        = string
  default     = "INFO"
}

variable "log_retention_days" {
  description = "CloudWatch log retention for both functions."
  type        = number
  default     = 30
}

variable "mcp_memory_mb" {
  description = "MCP server memory (512-1024 MB)."
  type        = number
  default     = 1024
  validation {
    condition     = var.mcp_memory_mb >= 512 && var.mcp_memory_mb <= 1024
    error_message = "mcp_memory_mb must be between 512 and 1024."
  }
}

variable "mcp_runtimes" {
  description = "The Lambda runtime table (tools/runtimes.py); `nox -s infra` passes it as TF_VAR_mcp_runtimes."
  type = map(object({
    architectures = list(string)
    snap_start    = bool
  }))
}

variable "mcp_runtime" {
  description = "Lambda runtime of the MCP server, a row of tools/runtimes.py. `nox -s infra` passes the table's default (TF_VAR_mcp_runtime); a tfvars line overrides it. The deployed layer must be built for it (`nox -s build_layer -- --runtime ...`)."
  type        = string
}

variable "mcp_architecture" {
  description = "Architecture of the MCP server: x86_64 or arm64 (`nox -s infra` passes x86_64 unless a tfvars line overrides it)."
  type        = string
  validation {
    condition     = contains(["x86_64", "arm64"], var.mcp_architecture)
    error_message = "mcp_architecture must be x86_64 or arm64."
  }
}

variable "mcp_snap_start" {
  description = "SnapStart for the MCP server on runtimes that offer it (python3.12+). On: a restored instance skips the imports and the encoder load, but Lambda bills the snapshot cache (per GB of memory, at least 3 hours per version) and each restore, and publishing a version takes longer. Turn it off for a rarely called environment, or to use provisioned concurrency (the two exclude each other)."
  type        = bool
  default     = true
}

variable "mcp_timeout_s" {
  description = "MCP server timeout; API Gateway integrations end at 30 s."
  type        = number
  default     = 29
}

variable "mcp_provisioned_concurrency" {
  description = "Provisioned concurrency on the `live` alias. 0 (default) keeps the seed's cost trade-off: cold starts instead of an always-on bill."
  type        = number
  default     = 0
}

variable "mcp_reserved_concurrency" {
  description = "Reserved concurrency cap of the MCP server (-1: unreserved)."
  type        = number
  default     = 50
}

variable "enable_function_url" {
  description = "Also expose the `live` alias through a Lambda function URL. Off by default: the URL (auth NONE) bypasses the HTTP API's throttle, so turning it on needs mcp_reserved_concurrency > 0 as its cap."
  type        = bool
  default     = false
}

variable "enable_http_api" {
  description = "Expose the `live` alias through an API Gateway HTTP API."
  type        = bool
  default     = true
}

variable "bootstrap_zip" {
  description = "Zip the MCP server function is created from; `nox -s deploy` owns the code afterwards."
  type        = string
}

variable "refresh_image_uri" {
  description = "Image the refresh function is created from; empty skips the function until an image has been pushed."
  type        = string
  default     = ""
}

variable "refresh_memory_mb" {
  description = "Refresh service memory (2048-4096 MB)."
  type        = number
  default     = 3008
  validation {
    condition     = var.refresh_memory_mb >= 2048 && var.refresh_memory_mb <= 4096
    error_message = "refresh_memory_mb must be between 2048 and 4096."
  }
}

variable "refresh_schedule" {
  description = "EventBridge schedule of the refresh service."
  type        = string
  default     = "rate(1 day)"
}

variable "ecr_keep_images" {
  description = "Tagged refresh images kept by the ECR lifecycle policy."
  type        = number
  default     = 10
}

variable "index_version_retention_days" {
  description = "Days a superseded (noncurrent) object version under indexes/ is kept."
  type        = number
  default     = 30
}

variable "artifact_retention_days" {
  description = "Days build artifacts under artifacts/ are kept."
  type        = number
  default     = 14
}

variable "secret_recovery_days" {
  description = "Secrets Manager recovery window (0 deletes at once; only for throwaway environments)."
  type        = number
  default     = 30
}

variable "alarm_actions" {
  description = "SNS topic ARNs notified by the alarms."
  type        = list(string)
  default     = []
}

variable "deletion_protection" {
  description = "Protect the state table from deletion."
  type        = bool
  default     = true
}

variable "require_tls" {
  description = "Deny non-TLS access to the bucket (false only for the embedded AWS, which speaks plain http)."
  type        = bool
  default     = true
}

variable "force_destroy" {
  description = "Let `destroy` empty the bucket and the ECR repository (throwaway environments only)."
  type        = bool
  default     = false
}

variable "monitored_sources" {
  description = "Sources (names from the sources config) charted on the dashboard and alarmed on for freshness."
  type        = list(string)
  default     = ["handbook"]
}

variable "max_index_age_s" {
  description = "Index age (seconds) that fires the freshness alarm; null = twice the refresh schedule's interval."
  type        = number
  default     = null
}

variable "alarm_emails" {
  description = "Addresses subscribed to the alarm topic (SNS asks each to confirm)."
  type        = list(string)
  default     = []
}

variable "s3_sources" {
  description = "Buckets and key prefixes (e.g. runbooks/) of `kind: s3` sources; the refresh role may read only these."
  type = list(object({
    bucket = string
    prefix = string
  }))
  default = []
}

variable "enable_waf" {
  description = "Put CloudFront with an AWS WAF web ACL (per-IP rate limit, AWS IP reputation and known-bad-input rules) in front of the HTTP API; needs enable_http_api."
  type        = bool
  default     = false
}

variable "waf_rate_limit" {
  description = "Requests per client IP per 5 minutes before the WAF blocks it (enable_waf)."
  type        = number
  default     = 1000
}

variable "enable_cognito" {
  description = "Create an Amazon Cognito user pool, resource server (scope thoth/search), hosted domain and public app client, and point the MCP server's OAuth settings at it."
  type        = bool
  default     = false
}

variable "cognito_domain_prefix" {
  description = "Hosted sign-in domain prefix (globally unique); empty derives thoth-<env>-<account id>."
  type        = string
  default     = ""
}

variable "cognito_callback_urls" {
  description = "Redirect URIs the Cognito app client accepts (default: Claude's two callbacks); add each MCP client's own, e.g. a localhost callback."
  type        = list(string)
  default     = ["https://claude.ai/api/mcp/auth_callback", "https://claude.com/api/mcp/auth_callback"]
}

variable "oauth_issuer" {
  description = "THOTH_OAUTH_ISSUER of an external authorization server (Auth0, Okta, Entra ID, Keycloak, WorkOS); overrides the Cognito pool. Empty: OAuth off unless enable_cognito."
  type        = string
  default     = ""
  validation {
    condition     = var.oauth_issuer == "" || startswith(var.oauth_issuer, "https://")
    error_message = "oauth_issuer must be an https URL, exactly as the iss claim of the tokens spells it."
  }
}

variable "oauth_audience" {
  description = "THOTH_OAUTH_AUDIENCE (comma-separated aud or client_id values); empty: the Cognito client, or the server's own /mcp URL."
  type        = string
  default     = ""
}

variable "oauth_scopes" {
  description = "THOTH_OAUTH_SCOPES (space-separated, all required); empty: thoth/search with Cognito, none otherwise."
  type        = string
  default     = ""
}

variable "oauth_jwks_url" {
  description = "THOTH_OAUTH_JWKS_URL; empty: discovered from the issuer's metadata (Cognito: set for you)."
  type        = string
  default     = ""
}

variable "oauth_resource" {
  description = "THOTH_OAUTH_RESOURCE, the public /mcp URL (e.g. behind a custom domain); empty: the URL the request reached."
  type        = string
  default     = ""
}

variable "oauth_algorithms" {
  description = "THOTH_OAUTH_ALGORITHMS (asymmetric only); empty: RS256."
  type        = string
  default     = ""
}

variable "source_access" {
  description = <<-EOT
    THOTH_SOURCE_ACCESS: which sources an OAuth token may read, by group (Cognito's cognito:groups) and
    by scope; default is what every token reads. null: every token reads every source. With Cognito,
    each group named here is created in the user pool (add users to it to grant its sources).
    API keys carry their own sources in the api-key secret ({"key": "...", "sources": [...]}).
  EOT
  type = object({
    groups  = optional(map(list(string)), {})
    scopes  = optional(map(list(string)), {})
    default = optional(list(string), [])
  })
  default = null
}
