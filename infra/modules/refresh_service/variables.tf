variable "function_name" {
  type = string
}

variable "environment" {
  type = string
}

variable "role_arn" {
  type = string
}

variable "image_uri" {
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

variable "schedule" {
  type = string
}

variable "keep_images" {
  type = number
}

variable "alarm_actions" {
  type = list(string)
}

variable "force_destroy" {
  type = bool
}

variable "history_days" {
  description = "THOTH_HISTORY_DAYS: days change records are kept (refresh) and recent_changes may reach back (MCP)."
  type        = number
}
