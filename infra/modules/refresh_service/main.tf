locals {
  create = var.image_uri != ""
}

resource "aws_ecr_repository" "this" {
  name         = var.function_name
  force_delete = var.force_destroy
  # Content-addressed tags are never reused, so they can be immutable.
  image_tag_mutability = "IMMUTABLE"

  image_scanning_configuration {
    scan_on_push = true
  }

  encryption_configuration {
    encryption_type = "KMS"
  }
}

resource "aws_ecr_lifecycle_policy" "this" {
  repository = aws_ecr_repository.this.name
  policy = jsonencode({
    rules = [
      {
        rulePriority = 1
        description  = "Drop untagged layers after a week"
        selection    = { tagStatus = "untagged", countType = "sinceImagePushed", countUnit = "days", countNumber = 7 }
        action       = { type = "expire" }
      },
      {
        rulePriority = 2
        description  = "Keep the newest tagged images"
        selection    = { tagStatus = "any", countType = "imageCountMoreThan", countNumber = var.keep_images }
        action       = { type = "expire" }
      },
    ]
  })
}

data "aws_caller_identity" "current" {}
data "aws_partition" "current" {}
data "aws_region" "current" {}

# Lambda pulls the image for this account's refresh function only (confused-deputy guard).
data "aws_iam_policy_document" "lambda_pull" {
  statement {
    sid     = "LambdaPull"
    actions = ["ecr:BatchGetImage", "ecr:GetDownloadUrlForLayer"]
    principals {
      type        = "Service"
      identifiers = ["lambda.amazonaws.com"]
    }
    condition {
      test     = "StringEquals"
      variable = "aws:SourceAccount"
      values   = [data.aws_caller_identity.current.account_id]
    }
    condition {
      test     = "ArnLike"
      variable = "aws:SourceArn"
      values = [
        "arn:${data.aws_partition.current.partition}:lambda:${data.aws_region.current.name}:${data.aws_caller_identity.current.account_id}:function:${var.function_name}*"
      ]
    }
  }
}

resource "aws_ecr_repository_policy" "this" {
  repository = aws_ecr_repository.this.name
  policy     = data.aws_iam_policy_document.lambda_pull.json
}

resource "aws_sqs_queue" "dlq" {
  name                      = "${var.function_name}-dlq"
  message_retention_seconds = 1209600
  sqs_managed_sse_enabled   = true
}

# Fan-out of a full rebuild: one message per shard, retried three times, then parked.
resource "aws_sqs_queue" "fanout" {
  name                       = "${var.function_name}-fanout"
  visibility_timeout_seconds = 5400 # 6 x the 15-minute function timeout, as Lambda advises
  message_retention_seconds  = 345600
  sqs_managed_sse_enabled    = true
  redrive_policy = jsonencode({
    deadLetterTargetArn = aws_sqs_queue.dlq.arn
    maxReceiveCount     = 3
  })
}

resource "aws_cloudwatch_log_group" "this" {
  #checkov:skip=CKV_AWS_158:Log groups use CloudWatch's default encryption at rest; logs are scrubbed of secrets, so a CMK adds key-policy upkeep without protecting anything sensitive
  name              = "/aws/lambda/${var.function_name}"
  retention_in_days = var.log_retention_days
}

resource "aws_lambda_function" "this" {
  #checkov:skip=CKV_AWS_272:Artifacts are verified by sha256 at deploy time (nox -s deploy compares the zip digest with CodeSha256); AWS Signer profiles are not used by this project
  #checkov:skip=CKV_AWS_173:Environment variables hold only resource names and a log level, never secrets (those live in Secrets Manager); the AWS-managed key encrypts them at rest
  #checkov:skip=CKV_AWS_117:The functions call only AWS public endpoints (S3, DynamoDB, Secrets Manager) and public git hosts; a VPC would add NAT cost and cold-start latency for no isolation gain
  count                          = local.create ? 1 : 0
  function_name                  = var.function_name
  role                           = var.role_arn
  package_type                   = "Image"
  image_uri                      = var.image_uri
  architectures                  = ["x86_64"]
  memory_size                    = var.memory_mb
  timeout                        = 900
  reserved_concurrent_executions = 4
  publish                        = true

  ephemeral_storage {
    size = 4096
  }

  environment {
    variables = {
      ENVIRONMENT         = var.environment
      S3_BUCKET_NAME      = var.bucket_name
      DYNAMODB_TABLE_NAME = var.table_name
      LOG_LEVEL           = var.log_level
      THOTH_QUEUE_URL     = aws_sqs_queue.fanout.url
      THOTH_HISTORY_DAYS  = tostring(var.history_days)
    }
  }

  dead_letter_config {
    target_arn = aws_sqs_queue.dlq.arn
  }

  tracing_config {
    mode = "Active"
  }

  # The image is owned by `nox -s deploy` (pinned by digest after each push).
  lifecycle {
    ignore_changes = [image_uri]
  }

  depends_on = [aws_cloudwatch_log_group.this]
}

resource "aws_lambda_alias" "live" {
  count            = local.create ? 1 : 0
  name             = "live"
  function_name    = aws_lambda_function.this[0].function_name
  function_version = aws_lambda_function.this[0].version

  lifecycle {
    ignore_changes = [function_version, routing_config]
  }
}

resource "aws_cloudwatch_event_rule" "schedule" {
  count               = local.create ? 1 : 0
  name                = "${var.function_name}-schedule"
  description         = "Scheduled incremental refresh of every source."
  schedule_expression = var.schedule
}

resource "aws_cloudwatch_event_target" "schedule" {
  count = local.create ? 1 : 0
  rule  = aws_cloudwatch_event_rule.schedule[0].name
  # No custom input: the handler recognises the scheduled event itself and refreshes every source.
  arn = aws_lambda_alias.live[0].arn
}

resource "aws_lambda_permission" "schedule" {
  count         = local.create ? 1 : 0
  statement_id  = "AllowEventBridge"
  action        = "lambda:InvokeFunction"
  function_name = aws_lambda_function.this[0].function_name
  qualifier     = aws_lambda_alias.live[0].name
  principal     = "events.amazonaws.com"
  source_arn    = aws_cloudwatch_event_rule.schedule[0].arn
}

resource "aws_lambda_event_source_mapping" "fanout" {
  count            = local.create ? 1 : 0
  event_source_arn = aws_sqs_queue.fanout.arn
  function_name    = aws_lambda_alias.live[0].arn
  batch_size       = 1
}

resource "aws_cloudwatch_metric_alarm" "errors" {
  count               = local.create ? 1 : 0
  alarm_name          = "${var.function_name}-errors"
  alarm_description   = "A refresh failed."
  namespace           = "AWS/Lambda"
  metric_name         = "Errors"
  dimensions          = { FunctionName = var.function_name, Resource = "${var.function_name}:live" }
  statistic           = "Sum"
  period              = 3600
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
}

resource "aws_cloudwatch_metric_alarm" "dead_letters" {
  alarm_name          = "${var.function_name}-dead-letters"
  alarm_description   = "Fan-out messages were parked in the dead-letter queue."
  namespace           = "AWS/SQS"
  metric_name         = "ApproximateNumberOfMessagesVisible"
  dimensions          = { QueueName = aws_sqs_queue.dlq.name }
  statistic           = "Maximum"
  period              = 300
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = var.alarm_actions
}
