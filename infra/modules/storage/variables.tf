variable "bucket_name" {
  type = string
}

variable "index_version_retention_days" {
  type = number
}

variable "artifact_retention_days" {
  type = number
}

variable "require_tls" {
  type = bool
}

variable "force_destroy" {
  type = bool
}
