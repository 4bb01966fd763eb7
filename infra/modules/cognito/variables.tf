variable "prefix" {
  type = string
}

variable "domain_prefix" {
  description = "Hosted sign-in domain: https://<prefix>.auth.<region>.amazoncognito.com (globally unique)."
  type        = string
}

variable "callback_urls" {
  description = "Redirect URIs MCP clients use after sign-in (e.g. http://localhost:33418/callback for Claude Code)."
  type        = list(string)
}

variable "logout_urls" {
  type    = list(string)
  default = []
}

variable "resource_server_identifier" {
  type    = string
  default = "thoth"
}

variable "scope_name" {
  type    = string
  default = "search"
}

variable "access_token_minutes" {
  type    = number
  default = 60
}

variable "refresh_token_days" {
  type    = number
  default = 30
}

variable "deletion_protection" {
  type = bool
}

variable "groups" {
  description = "User-pool groups to create; their names reach access tokens as cognito:groups (THOTH_SOURCE_ACCESS maps them to sources)."
  type        = list(string)
  default     = []
}
