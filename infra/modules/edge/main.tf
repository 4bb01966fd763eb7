# Optional edge for the MCP server: CloudFront in front of the HTTP API with an AWS WAF web ACL.
# WAFv2 cannot attach to an HTTP API or a function URL, only to CloudFront (among others), and a
# CLOUDFRONT-scoped web ACL lives in us-east-1, hence the aliased provider the root passes in.
# The HTTP API's own URL stays reachable (its stage throttle still applies); publish the edge URL.
terraform {
  required_providers {
    aws = { source = "hashicorp/aws" }
  }
}

locals {
  origin_host = regex("^https://([^/]+)", var.http_api_url)[0]
  # AWS managed policies: no caching (every MCP request is distinct), all viewer headers but Host.
  caching_disabled       = "4135ea2d-6df8-44a3-9df3-4b5a84be39ad"
  all_viewer_except_host = "b689b0a8-53d0-40ab-baf2-68738e2966ac"
}

resource "aws_wafv2_web_acl" "this" {
  name  = "${var.name}-edge"
  scope = "CLOUDFRONT"

  default_action {
    allow {}
  }

  rule {
    name     = "rate-per-ip"
    priority = 0
    action {
      block {}
    }
    statement {
      rate_based_statement {
        limit              = var.rate_limit
        aggregate_key_type = "IP"
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-rate-per-ip"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "AWSManagedRulesAmazonIpReputationList"
    priority = 1
    override_action {
      none {}
    }
    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesAmazonIpReputationList"
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-AWSManagedRulesAmazonIpReputationList"
      sampled_requests_enabled   = true
    }
  }

  rule {
    name     = "AWSManagedRulesKnownBadInputsRuleSet"
    priority = 2
    override_action {
      none {}
    }
    statement {
      managed_rule_group_statement {
        vendor_name = "AWS"
        name        = "AWSManagedRulesKnownBadInputsRuleSet"
      }
    }
    visibility_config {
      cloudwatch_metrics_enabled = true
      metric_name                = "${var.name}-AWSManagedRulesKnownBadInputsRuleSet"
      sampled_requests_enabled   = true
    }
  }

  visibility_config {
    cloudwatch_metrics_enabled = true
    metric_name                = "${var.name}-edge"
    sampled_requests_enabled   = true
  }
}

resource "aws_cloudfront_distribution" "this" {
  #checkov:skip=CKV_AWS_86:Access logs of every MCP request would hold client addresses for no operational use; the function logs one scrubbed line per request already
  #checkov:skip=CKV_AWS_310:An MCP endpoint has one origin; failing over to the same HTTP API gains nothing
  #checkov:skip=CKV_AWS_374:MCP clients connect from anywhere their users are; a geo restriction would lock out legitimate assistants
  #checkov:skip=CKV2_AWS_32:Responses are JSON-RPC for API clients, not pages for browsers; the server already sends no-store and nosniff
  #checkov:skip=CKV2_AWS_42:A custom domain and ACM certificate are the operator's choice; the default cloudfront.net certificate serves TLS 1.2+
  #checkov:skip=CKV_AWS_174:The default cloudfront.net certificate is used (see CKV2_AWS_42); a minimum protocol version applies only to custom certificates
  #checkov:skip=CKV2_AWS_47:The attached web ACL (aws_wafv2_web_acl.this above) runs AWSManagedRulesKnownBadInputsRuleSet, which blocks the Log4j lookup; the graph check does not follow web_acl_id
  #checkov:skip=CKV_AWS_305:The distribution fronts an API (POST /mcp, GET /health); there is no root document to serve
  enabled         = true
  comment         = "${var.name}: MCP endpoint behind AWS WAF"
  web_acl_id      = aws_wafv2_web_acl.this.arn
  is_ipv6_enabled = true
  price_class     = "PriceClass_100"

  origin {
    origin_id   = "http-api"
    domain_name = local.origin_host
    custom_origin_config {
      http_port              = 80
      https_port             = 443
      origin_protocol_policy = "https-only"
      origin_ssl_protocols   = ["TLSv1.2"]
      origin_read_timeout    = 30
    }
  }

  default_cache_behavior {
    target_origin_id         = "http-api"
    viewer_protocol_policy   = "https-only"
    allowed_methods          = ["GET", "HEAD", "OPTIONS", "PUT", "POST", "PATCH", "DELETE"]
    cached_methods           = ["GET", "HEAD"]
    cache_policy_id          = local.caching_disabled
    origin_request_policy_id = local.all_viewer_except_host
    compress                 = true
  }

  restrictions {
    geo_restriction {
      restriction_type = "none"
    }
  }

  viewer_certificate {
    cloudfront_default_certificate = true
  }
}

# Blocked and sampled requests, with the credentials headers redacted before anything is written.
resource "aws_cloudwatch_log_group" "waf" {
  #checkov:skip=CKV_AWS_158:Log groups use CloudWatch's default encryption at rest; the credential headers are redacted before logging, so a CMK adds key-policy upkeep without protecting anything sensitive
  #checkov:skip=CKV_AWS_338:WAF decisions are for investigating an attack in progress; 30 days is enough and keeps client addresses no longer than needed
  name              = "aws-waf-logs-${var.name}"
  retention_in_days = 30
}

resource "aws_wafv2_web_acl_logging_configuration" "this" {
  resource_arn            = aws_wafv2_web_acl.this.arn
  log_destination_configs = [aws_cloudwatch_log_group.waf.arn]

  redacted_fields {
    single_header {
      name = "authorization"
    }
  }
  redacted_fields {
    single_header {
      name = "x-api-key"
    }
  }
  # WAF cannot redact one query argument, and a client may put an OAuth token in ?access_token=
  # (the server refuses it, but the request is logged first): the whole query string is redacted.
  redacted_fields {
    query_string {}
  }
}
