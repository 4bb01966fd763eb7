variable "table_name" {
  type = string
}

variable "deletion_protection" {
  type = bool
}
