# One role per function, each scoped to the named resources it uses.
data "aws_iam_policy_document" "assume_lambda" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
  }
}

locals {
  log_group_arn = "arn:${var.partition}:logs:${var.region}:${var.account_id}:log-group:/aws/lambda"
  state_ops     = ["dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query"]
}

resource "aws_iam_role" "mcp" {
  name               = "${var.prefix}-mcp-server"
  assume_role_policy = data.aws_iam_policy_document.assume_lambda.json
}

data "aws_iam_policy_document" "mcp" {
  statement {
    sid       = "Tracing"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"] # X-Ray has no resource-level permissions
  }
  statement {
    sid       = "OwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${local.log_group_arn}/${var.mcp_function_name}:*"]
  }
  statement {
    sid       = "ReadIndexes"
    actions   = ["s3:GetObject"]
    resources = ["${var.bucket_arn}/indexes/*"]
  }
  statement {
    sid       = "ListIndexes"
    actions   = ["s3:ListBucket"]
    resources = [var.bucket_arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["indexes/*"]
    }
  }
  statement {
    sid       = "State"
    actions   = local.state_ops
    resources = [var.table_arn]
  }
  statement {
    sid       = "ApiKeys"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [var.api_key_secret_arn]
  }
}

resource "aws_iam_role_policy" "mcp" {
  name   = "least-privilege"
  role   = aws_iam_role.mcp.id
  policy = data.aws_iam_policy_document.mcp.json
}

resource "aws_iam_role" "refresh" {
  name               = "${var.prefix}-refresh-service"
  assume_role_policy = data.aws_iam_policy_document.assume_lambda.json
}

data "aws_iam_policy_document" "refresh" {
  statement {
    sid       = "Tracing"
    actions   = ["xray:PutTraceSegments", "xray:PutTelemetryRecords"]
    resources = ["*"] # X-Ray has no resource-level permissions
  }
  statement {
    sid       = "OwnLogs"
    actions   = ["logs:CreateLogStream", "logs:PutLogEvents"]
    resources = ["${local.log_group_arn}/${var.refresh_function_name}:*"]
  }
  statement {
    sid       = "WriteIndexes"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = ["${var.bucket_arn}/indexes/*", "${var.bucket_arn}/sources/*"]
  }
  statement {
    sid       = "ListBucket"
    actions   = ["s3:ListBucket"]
    resources = [var.bucket_arn]
  }
  statement {
    sid       = "State"
    actions   = local.state_ops
    resources = [var.table_arn]
  }
  statement {
    sid       = "GitToken"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [var.gitlab_secret_arn]
  }
  statement {
    sid       = "FanOut"
    actions   = ["sqs:SendMessage", "sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]
    resources = [var.queue_arn]
  }
  statement {
    sid       = "DeadLetters"
    actions   = ["sqs:SendMessage"]
    resources = [var.dlq_arn]
  }
}

resource "aws_iam_role_policy" "refresh" {
  name   = "least-privilege"
  role   = aws_iam_role.refresh.id
  policy = data.aws_iam_policy_document.refresh.json
}
