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
