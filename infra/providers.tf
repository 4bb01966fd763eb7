locals {
  embedded = var.aws_endpoint != ""
  # Every service this configuration talks to; `local` points them all at the moto server.
  services = ["apigatewayv2", "cloudwatch", "cognitoidp", "dynamodb", "ecr", "events", "iam", "lambda", "logs",
  "s3", "secretsmanager", "sns", "sqs", "sts"]
}

provider "aws" {
  region = var.region

  # The embedded AWS (moto) accepts any credentials and has no instance metadata.
  skip_credentials_validation = local.embedded
  skip_metadata_api_check     = local.embedded
  skip_region_validation      = local.embedded
  s3_use_path_style           = local.embedded

  dynamic "endpoints" {
    for_each = local.embedded ? [1] : []
    content {
      apigatewayv2   = var.aws_endpoint
      cloudwatch     = var.aws_endpoint
      cognitoidp     = var.aws_endpoint
      dynamodb       = var.aws_endpoint
      ecr            = var.aws_endpoint
      events         = var.aws_endpoint
      iam            = var.aws_endpoint
      lambda         = var.aws_endpoint
      logs           = var.aws_endpoint
      s3             = var.aws_endpoint
      secretsmanager = var.aws_endpoint
      sns            = var.aws_endpoint
      sqs            = var.aws_endpoint
      sts            = var.aws_endpoint
    }
  }

  default_tags {
    tags = {
      project     = "thoth"
      environment = var.environment
      managed_by  = "terraform"
    }
  }
}

# CloudFront-scoped WAF web ACLs exist only in us-east-1 (modules/edge, with enable_waf).
provider "aws" {
  alias  = "us_east_1"
  region = "us-east-1"

  skip_credentials_validation = local.embedded
  skip_metadata_api_check     = local.embedded
  skip_region_validation      = local.embedded
  skip_requesting_account_id  = local.embedded

  dynamic "endpoints" {
    for_each = local.embedded ? [1] : []
    content {
      cloudfront = var.aws_endpoint
      logs       = var.aws_endpoint
      sts        = var.aws_endpoint
      wafv2      = var.aws_endpoint
    }
  }

  default_tags {
    tags = {
      project     = "thoth"
      environment = var.environment
      managed_by  = "terraform"
    }
  }
}
