variable "prefix" {
  description = "Resource name prefix, thoth-<env>."
  type        = string
}

variable "environment" {
  description = "The Environment dimension of Thoth's metrics."
  type        = string
}

variable "region" {
  type = string
}

variable "account_id" {
  description = "The account whose alarms may use the alarm topic's key."
  type        = string
}

variable "partition" {
  description = "aws, aws-cn or aws-us-gov (part of every ARN)."
  type        = string
  default     = "aws"
}

variable "mcp_function_name" {
  type = string
}

variable "refresh_function_name" {
  description = "Empty until the refresh function exists (its image is pushed by the first deploy)."
  type        = string
}

variable "queue_name" {
  description = "The fan-out queue whose backlog the dashboard shows."
  type        = string
}

variable "sources" {
  description = "Sources whose index age is alarmed on and charted."
  type        = list(string)
}

variable "max_index_age_s" {
  description = "Index age (seconds) above which the freshness alarm fires."
  type        = number
}

variable "refresh_interval_s" {
  description = "Seconds between scheduled refreshes; no run within two intervals alarms."
  type        = number
}

variable "alarm_emails" {
  description = "Addresses subscribed to the alarm topic (each must confirm by mail)."
  type        = list(string)
  default     = []
}
