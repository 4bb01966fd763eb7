variable "function_name" {
  type = string
}

variable "environment" {
  type = string
}

variable "role_arn" {
  type = string
}

variable "runtime" {
  description = "Lambda runtime identifier, a key of var.runtimes."
  type        = string
}

variable "architecture" {
  description = "x86_64 or arm64."
  type        = string
}

variable "runtimes" {
  description = "The runtime table of tools/runtimes.py: identifier -> what Terraform needs of its row."
  type = map(object({
    architectures = list(string)
    snap_start    = bool
  }))
  validation {
    condition     = length(var.runtimes) > 0
    error_message = "runtimes is empty; run Terraform through `nox -s infra`, which passes tools/runtimes.py."
  }
}

variable "snap_start" {
  description = "SnapStart on published versions, where the runtime offers it."
  type        = bool
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
