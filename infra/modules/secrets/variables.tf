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

variable "front" {
  description = "Create the authorization-server front's secrets (upstream client, signing key)."
  type        = bool
  default     = false
}

variable "signing_key_version" {
  description = "Bump to draw a new front signing key (sign-ins and client registrations then start over)."
  type        = number
  default     = 1
}
