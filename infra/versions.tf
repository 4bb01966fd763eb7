terraform {
  required_version = ">= 1.5"
  required_providers {
    aws = {
      source  = "hashicorp/aws"
      version = "~> 5.0"
    }
  }
  # Partial configuration: `nox -s infra` passes environments/<env>.backend.hcl
  # (or, for `local`, a generated file pointing at the embedded AWS).
  backend "s3" {}
}
