variable "function_name" {
  type = string
}

variable "environment" {
  type = string
}

variable "role_arn" {
  type = string
}

variable "bootstrap_zip" {
  type = string
}

variable "bucket_name" {
  type = string
}

variable "table_name" {
  type = string
}

variable "log_level" {
  type = string
}

variable "log_retention_days" {
  type = number
}

variable "memory_mb" {
  type = number
}

variable "timeout_s" {
  type = number
}

variable "provisioned_concurrency" {
  type = number
}

variable "reserved_concurrency" {
  type = number
}

variable "enable_function_url" {
  type = bool
}

variable "enable_http_api" {
  type = bool
}

variable "alarm_actions" {
  type = list(string)
}

variable "oauth_environment" {
  description = "THOTH_OAUTH_* variables of the function (empty: OAuth off, API keys only)."
  type        = map(string)
  default     = {}
}

variable "history_days" {
  description = "THOTH_HISTORY_DAYS: days change records are kept (refresh) and recent_changes may reach back (MCP)."
  type        = number
}
