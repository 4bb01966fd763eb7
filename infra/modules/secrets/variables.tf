variable "environment" {
  type = string
}

variable "recovery_days" {
  type = number
}

variable "cursor_key_version" {
  description = "Bump to draw a new cursor key (outstanding cursors then restart)."
  type        = number
  default     = 1
}
