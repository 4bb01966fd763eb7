# One role per function, each allowed exactly the AWS actions its code calls, on the resources it
# calls them on (tests/e2e/infra/test_iam_least_privilege.py derives the calls from the code
# and fails on any action granted beyond them, or missing). The wildcards that remain are listed,
# with their reasons, in infra/README.md ("Least privilege").
data "aws_iam_policy_document" "assume_lambda" {
  statement {
    actions = ["sts:AssumeRole"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
    # No aws:SourceAccount here: Lambda documents no source context for assuming an execution
    # role, and a condition it does not send would stop the function from starting. Only
    # iam:PassRole in this account can attach the role to a function.
  }
}

locals {
  log_group_arn = "arn:${var.partition}:logs:${var.region}:${var.account_id}:log-group:/aws/lambda"
  # Object key prefixes (thoth.shared.index.format, refresh_service.embed, refresh_service.sources.definitions).
  indexes    = "${var.bucket_arn}/indexes/*"
  embeddings = "${var.bucket_arn}/cache/embeddings/*"
  config     = "${var.bucket_arn}/config/*"
}

resource "aws_iam_role" "mcp" {
  name               = "${var.prefix}-mcp-server"
  assume_role_policy = data.aws_iam_policy_document.assume_lambda.json
}

# The internet-facing function: read-only everywhere but in the state table's OAuth partitions (the
# authorization-server front's pending sign-ins, codes, refresh tokens and families, when it is on),
# and only the live pointers of the rest of the table.
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
    resources = [local.indexes]
  }
  statement {
    # Never called by the code: without it S3 answers a missing key 403 instead of 404, and a
    # missing index version would read as "access denied".
    sid       = "MissingMeansNotFound"
    actions   = ["s3:ListBucket"]
    resources = [var.bucket_arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["indexes/*"]
    }
  }
  statement {
    sid       = "ReadLivePointers"
    actions   = ["dynamodb:Query"] # list_live: one query of the `live` partition
    resources = [var.table_arn]
    condition {
      test     = "ForAllValues:StringEquals"
      variable = "dynamodb:LeadingKeys"
      values   = ["live"]
    }
  }
  statement {
    sid       = "Secrets"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = concat([var.api_key_secret_arn, var.cursor_secret_arn], var.front_secret_arns)
  }
  dynamic "statement" {
    for_each = length(var.front_secret_arns) > 0 ? [1] : []
    content {
      # thoth.mcp_server.transport.auth.front.store: get, put/create/swap (UpdateItem), delete.
      sid       = "OAuthFrontState"
      actions   = ["dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem"]
      resources = [var.table_arn]
      condition {
        test     = "ForAllValues:StringEquals"
        variable = "dynamodb:LeadingKeys"
        values   = ["oauth-pending", "oauth-code", "oauth-refresh", "oauth-family"]
      }
    }
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
    # Index versions and the embedding cache (every object is one put_object: no multipart upload,
    # so no s3:AbortMultipartUpload).
    sid       = "WriteIndexesAndEmbeddings"
    actions   = ["s3:GetObject", "s3:PutObject", "s3:DeleteObject"]
    resources = [local.indexes, local.embeddings]
  }
  statement {
    sid       = "ReadSourcesConfig"
    actions   = ["s3:GetObject"]
    resources = [local.config]
  }
  statement {
    sid       = "ListOwnPrefixes"
    actions   = ["s3:ListBucket"]
    resources = [var.bucket_arn]
    condition {
      test     = "StringLike"
      variable = "s3:prefix"
      values   = ["indexes/*", "cache/embeddings/*", "config/*"]
    }
  }
  dynamic "statement" {
    for_each = var.s3_sources
    content {
      sid       = "ReadS3Source${statement.key}"
      actions   = ["s3:GetObject"]
      resources = ["arn:${var.partition}:s3:::${statement.value.bucket}/${statement.value.prefix}*"]
    }
  }
  dynamic "statement" {
    for_each = var.s3_sources
    content {
      sid       = "ListS3Source${statement.key}"
      actions   = ["s3:ListBucket"]
      resources = ["arn:${var.partition}:s3:::${statement.value.bucket}"]
      condition {
        test     = "StringLike"
        variable = "s3:prefix"
        values   = ["${statement.value.prefix}*"]
      }
    }
  }
  statement {
    sid       = "State"
    actions   = ["dynamodb:GetItem", "dynamodb:UpdateItem", "dynamodb:DeleteItem", "dynamodb:Query"]
    resources = [var.table_arn]
    condition {
      test     = "ForAllValues:StringLike"
      variable = "dynamodb:LeadingKeys"
      values   = ["live", "source#*"]
    }
  }
  statement {
    sid       = "GitToken"
    actions   = ["secretsmanager:GetSecretValue"]
    resources = [var.gitlab_secret_arn]
  }
  statement {
    sid       = "FanOutSend"
    actions   = ["sqs:SendMessage"]
    resources = [var.queue_arn]
  }
  statement {
    # Called by the Lambda event source mapping with this role, not by the code.
    sid       = "FanOutReceive"
    actions   = ["sqs:ReceiveMessage", "sqs:DeleteMessage", "sqs:GetQueueAttributes"]
    resources = [var.queue_arn]
  }
  statement {
    # Called by Lambda with this role for the function's dead_letter_config, not by the code.
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
