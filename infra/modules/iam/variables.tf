variable "prefix" {
  type = string
}

variable "partition" {
  type = string
}

variable "region" {
  type = string
}

variable "account_id" {
  type = string
}

variable "mcp_function_name" {
  type = string
}

variable "refresh_function_name" {
  type = string
}

variable "bucket_arn" {
  type = string
}

variable "table_arn" {
  type = string
}

variable "api_key_secret_arn" {
  type = string
}

variable "gitlab_secret_arn" {
  type = string
}

variable "queue_arn" {
  type = string
}

variable "dlq_arn" {
  type = string
}

variable "cursor_secret_arn" {
  type = string
}

variable "s3_sources" {
  description = "Buckets and key prefixes of `kind: s3` sources the refresh service reads."
  type = list(object({
    bucket = string
    prefix = string
  }))
  default = []
}

variable "front_secret_arns" {
  description = "The authorization-server front's secrets (empty: the front is off, and so are its grants)."
  type        = list(string)
  default     = []
}
