variable "environment" {
  type = string
}

variable "recovery_days" {
  type = number
}
