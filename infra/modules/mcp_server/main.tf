resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_158:Log groups use CloudWatch's default encryption at rest; logs are scrubbed of secrets, so a CMK adds key-policy upkeep without protecting anything sensitive
  name              = "/aws/lambda/${var.function_name}"
  retention_in_days = var.log_retention_days
}

locals {
  # The runtime's row of tools/runtimes.py (nox -s infra passes the table as var.runtimes).
  runtime    = lookup(var.runtimes, var.runtime, { architectures = [], snap_start = false })
  snap_start = var.snap_start && local.runtime.snap_start
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_272:Artifacts are verified by sha256 at deploy time (nox -s deploy compares the zip digest with CodeSha256); AWS Signer profiles are not used by this project
  #checkov:skip=CKV_AWS_173:Environment variables hold only resource names, a log level and public OAuth identifiers (issuer, client id), never secrets (those live in Secrets Manager); the AWS-managed key encrypts them at rest
  #checkov:skip=CKV_AWS_117:The functions call only AWS public endpoints (S3, DynamoDB, Secrets Manager) and public git hosts; a VPC would add NAT cost and cold-start latency for no isolation gain
  #checkov:skip=CKV_AWS_116:Invoked synchronously (function URL / HTTP API); a DLQ only applies to asynchronous invocations
  function_name                  = var.function_name
  role                           = var.role_arn
  runtime                        = var.runtime
  architectures                  = [var.architecture]
  handler                        = "thoth.mcp_server.lambda_handler.handler"
  filename                       = var.bootstrap_zip
  memory_size                    = var.memory_mb
  timeout                        = var.timeout_s
  reserved_concurrent_executions = var.reserved_concurrency
  publish                        = true

  environment {
    variables = merge({
      ENVIRONMENT         = var.environment
      S3_BUCKET_NAME      = var.bucket_name
      DYNAMODB_TABLE_NAME = var.table_name
      LOG_LEVEL           = var.log_level
    }, var.oauth_environment)
  }

  tracing_config {
    mode = "Active"
  }

  # A snapshot of the initialized function per published version; `live` points at published versions.
  dynamic "snap_start" {
    for_each = local.snap_start ? [1] : []
    content {
      apply_on = "PublishedVersions"
    }
  }

  # The code and layers are owned by `nox -s deploy`: Terraform creates the
  # function from a bootstrap zip once and never reverts a deployed artifact.
  lifecycle {
    ignore_changes = [filename, source_code_hash, s3_bucket, s3_key, s3_object_version, layers]

    precondition {
      condition     = contains(keys(var.runtimes), var.runtime)
      error_message = "mcp_runtime is not a row of tools/runtimes.py; choose one of its runtimes."
    }
    precondition {
      condition     = contains(local.runtime.architectures, var.architecture)
      error_message = "mcp_architecture must be one the runtime offers (see tools/runtimes.py)."
    }
    precondition {
      condition     = !(local.snap_start && var.provisioned_concurrency > 0)
      error_message = "SnapStart and provisioned concurrency exclude each other: set mcp_snap_start = false or mcp_provisioned_concurrency = 0."
    }
  }

  depends_on = [aws_cloudwatch_log_group.this]
}

resource "aws_lambda_alias" "live" {
  name             = "live"
  function_name    = aws_lambda_function.this.function_name
  function_version = aws_lambda_function.this.version

  # `nox -s deploy` moves the alias after each smoke test; `nox -s rollback` moves it back.
  lifecycle {
    ignore_changes = [function_version, routing_config]
  }
}

resource "aws_lambda_provisioned_concurrency_config" "live" {
  count                             = var.provisioned_concurrency > 0 ? 1 : 0
  function_name                     = aws_lambda_function.this.function_name
  qualifier                         = aws_lambda_alias.live.name
  provisioned_concurrent_executions = var.provisioned_concurrency
}

# Authentication is the application's (API key or OAuth access token, see thoth.mcp_server.transport.auth).
# A function URL has no throttle of its own: the HTTP API's limits do not apply to it, so the only
# cap on what it can cost is the function's reserved concurrency, which must then be set.
resource "aws_lambda_function_url" "live" {
  #checkov:skip=CKV_AWS_258:Authentication is the application's (API key or OAuth access token checked in thoth.mcp_server.transport.auth); MCP clients cannot sign IAM (SigV4) requests
  count              = var.enable_function_url ? 1 : 0
  function_name      = aws_lambda_function.this.function_name
  qualifier          = aws_lambda_alias.live.name
  authorization_type = "NONE"

  lifecycle {
    precondition {
      condition     = var.reserved_concurrency > 0
      error_message = "enable_function_url needs mcp_reserved_concurrency > 0: the function URL bypasses the HTTP API throttle, and reserved concurrency is then its only cap."
    }
  }
}

resource "aws_apigatewayv2_api" "this" {
  count         = var.enable_http_api ? 1 : 0
  name          = var.function_name
  protocol_type = "HTTP"
}

resource "aws_cloudwatch_log_group" "api" {
  #checkov:skip=CKV_AWS_158:Log groups use CloudWatch's default encryption at rest; logs are scrubbed of secrets, so a CMK adds key-policy upkeep without protecting anything sensitive
  count             = var.enable_http_api ? 1 : 0
  name              = "/aws/apigateway/${var.function_name}"
  retention_in_days = var.log_retention_days
}

resource "aws_apigatewayv2_integration" "live" {
  count                  = var.enable_http_api ? 1 : 0
  api_id                 = aws_apigatewayv2_api.this[0].id
  integration_type       = "AWS_PROXY"
  integration_uri        = aws_lambda_alias.live.invoke_arn
  payload_format_version = "2.0"
  timeout_milliseconds   = 30000
}

resource "aws_apigatewayv2_route" "default" {
  #checkov:skip=CKV_AWS_309:Authentication is the application's (API key or OAuth access token checked in thoth.mcp_server.transport.auth); an API Gateway authorizer would duplicate it
  count     = var.enable_http_api ? 1 : 0
  api_id    = aws_apigatewayv2_api.this[0].id
  route_key = "$default"
  target    = "integrations/${aws_apigatewayv2_integration.live[0].id}"
}

resource "aws_apigatewayv2_stage" "default" {
  count       = var.enable_http_api ? 1 : 0
  api_id      = aws_apigatewayv2_api.this[0].id
  name        = "$default"
  auto_deploy = true

  access_log_settings {
    destination_arn = aws_cloudwatch_log_group.api[0].arn
    format = jsonencode({
      requestId = "$context.requestId", ip = "$context.identity.sourceIp", route = "$context.routeKey",
      status    = "$context.status", latency = "$context.integrationLatency"
    })
  }

  default_route_settings {
    throttling_burst_limit = 100
    throttling_rate_limit  = 50
  }
}

resource "aws_lambda_permission" "http_api" {
  count         = var.enable_http_api ? 1 : 0
  statement_id  = "AllowHttpApi"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this.function_name
  qualifier     = aws_lambda_alias.live.name
  principal     = "apigateway.amazonaws.com"
  source_arn    = "${aws_apigatewayv2_api.this[0].execution_arn}/*/*"
}

resource "aws_cloudwatch_metric_alarm" "errors" {
  alarm_name          = "${var.function_name}-errors"
  alarm_description   = "The live MCP server returned errors."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = var.function_name, Resource = "${var.function_name}:live" }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 5
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "throttles" {
  alarm_name          = "${var.function_name}-throttles"
  alarm_description   = "The live MCP server was throttled."
  namespace           = "AWS/Lambda"
  metric_name         = "Throttles"
  dimensions          = { FunctionName = var.function_name, Resource = "${var.function_name}:live" }
  statistic           = "Sum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "duration" {
  alarm_name          = "${var.function_name}-duration-near-timeout"
  alarm_description   = "The live MCP server's slowest invocations approach the timeout."
  namespace           = "AWS/Lambda"
  metric_name         = "Duration"
  dimensions          = { FunctionName = var.function_name, Resource = "${var.function_name}:live" }
  extended_statistic  = "p99"
  period              = 300
  evaluation_periods  = 2
  threshold           = var.timeout_s * 1000 * 0.8
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
}
