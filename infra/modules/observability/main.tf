# Thoth's own metrics (EMF lines from both functions, namespace "Thoth"; names in
# packages/shared/src/thoth/shared/metrics.py), one dashboard, and the alarms an operator needs:
# an index that stopped getting fresher, refreshes that fail, refreshes that stopped running.
locals {
  ns       = "Thoth"
  env      = var.environment
  lambda   = "AWS/Lambda"
  search   = "search_handbook"
  period_s = 300
  # CloudWatch evaluates at most 7 days (period x evaluation periods); two intervals, capped.
  stale_period_s = min(max(var.refresh_interval_s, 300), 86400)
  stale_periods  = max(1, min(floor(2 * var.refresh_interval_s / local.stale_period_s), floor(604800 / local.stale_period_s)))

  widgets = concat(
    [
      {
        type = "metric", x = 0, y = 0, width = 12, height = 6
        properties = {
          title = "search_handbook latency (ms)", region = var.region, view = "timeSeries", period = local.period_s
          metrics = [
            [local.ns, "ToolLatency", "Environment", local.env, "Tool", local.search, { stat = "p50", label = "p50" }],
            ["...", { stat = "p99", label = "p99" }],
          ]
        }
      },
      {
        type = "metric", x = 12, y = 0, width = 12, height = 6
        properties = {
          title = "search calls and zero-result rate (%)", region = var.region, view = "timeSeries", period = local.period_s
          metrics = [
            [local.ns, "ToolCalls", "Environment", local.env, "Tool", local.search, { id = "calls", stat = "Sum", label = "calls" }],
            [local.ns, "ZeroResults", "Environment", local.env, "Tool", local.search, { id = "zero", stat = "Sum", visible = false }],
            [{ expression = "100 * zero / calls", label = "zero-result %", id = "rate", yAxis = "right" }],
          ]
        }
      },
      {
        type = "metric", x = 0, y = 6, width = 12, height = 6
        properties = {
          title = "errors", region = var.region, view = "timeSeries", period = local.period_s, stat = "Sum"
          metrics = [
            [local.lambda, "Errors", "FunctionName", var.mcp_function_name, { label = "MCP function errors" }],
            [local.ns, "ToolErrors", "Environment", local.env, "Tool", local.search, { label = "search tool errors" }],
          ]
        }
      },
      {
        type = "metric", x = 12, y = 6, width = 12, height = 6
        properties = {
          title = "cold starts", region = var.region, view = "timeSeries", period = local.period_s, stat = "Sum"
          metrics = [
            [local.ns, "ColdStarts", "Environment", local.env, "Function", "mcp-server", { label = "MCP server" }],
          ]
        }
      },
      {
        type = "log", x = 0, y = 12, width = 12, height = 6
        properties = {
          title  = "MCP cold-start init duration (ms)"
          region = var.region
          view   = "timeSeries"
          query  = "SOURCE '/aws/lambda/${var.mcp_function_name}' | filter @type = \"REPORT\" and ispresent(@initDuration) | stats pct(@initDuration, 50) as p50, pct(@initDuration, 99) as p99, count(*) as cold by bin(1h)"
        }
      },
      {
        type = "metric", x = 12, y = 12, width = 12, height = 6
        properties = {
          title = "index age per source (hours)", region = var.region, view = "timeSeries", period = 3600
          metrics = concat(
            [for i, s in var.sources : [local.ns, "IndexAgeSeconds", "Environment", local.env, "Source", s, { id = "age${i}", stat = "Maximum", visible = false }]],
            [for i, s in var.sources : [{ expression = "age${i} / 3600", label = s, id = "h${i}" }]],
          )
        }
      },
      {
        type = "metric", x = 0, y = 18, width = 12, height = 6
        properties = {
          title = "refresh duration (s) and outcome", region = var.region, view = "timeSeries", period = 3600
          metrics = concat(
            [for s in var.sources : [local.ns, "RefreshDuration", "Environment", local.env, "Source", s, { stat = "Maximum", label = "${s} duration" }]],
            [for s in var.sources : [local.ns, "Published", "Environment", local.env, "Source", s, { stat = "Sum", label = "${s} published", yAxis = "right" }]],
            [for s in var.sources : [local.ns, "RefreshFailed", "Environment", local.env, "Source", s, { stat = "Sum", label = "${s} failed", yAxis = "right" }]],
          )
        }
      },
      {
        type = "metric", x = 12, y = 18, width = 12, height = 6
        properties = {
          title = "fan-out backlog (SQS)", region = var.region, view = "timeSeries", period = local.period_s, stat = "Maximum"
          metrics = [
            ["AWS/SQS", "ApproximateNumberOfMessagesVisible", "QueueName", var.queue_name, { label = "waiting" }],
            ["AWS/SQS", "ApproximateAgeOfOldestMessage", "QueueName", var.queue_name, { label = "oldest (s)", yAxis = "right" }],
          ]
        }
      },
    ],
  )
}

# The alarm topic is encrypted with a key of our own: the AWS-managed alias/aws/sns key's policy
# cannot be changed to let CloudWatch use it, so alarms published to a topic under that key are
# dropped without a trace. The topic carries no secrets, but dropping encryption would trade a
# checkov finding (and many organisations' "SNS must be encrypted" rule) for nothing; the key's
# policy lets CloudWatch encrypt only for this account's alarms of this deployment.
locals {
  alarm_arns = "arn:${var.partition}:cloudwatch:${var.region}:${var.account_id}:alarm:${var.prefix}-*"
  alarm_key_policy = {
    Version = "2012-10-17"
    Statement = [
      {
        Sid       = "AccountAdministersTheKey"
        Effect    = "Allow"
        Principal = { AWS = "arn:${var.partition}:iam::${var.account_id}:root" }
        Action    = "kms:*"
        Resource  = "*"
      },
      {
        Sid       = "CloudWatchAlarmsOfThisDeploymentPublish"
        Effect    = "Allow"
        Principal = { Service = "cloudwatch.amazonaws.com" }
        Action    = ["kms:Decrypt", "kms:GenerateDataKey*"]
        Resource  = "*"
        Condition = {
          StringEquals = { "aws:SourceAccount" = var.account_id }
          ArnLike      = { "aws:SourceArn" = local.alarm_arns }
        }
      },
    ]
  }
}

resource "aws_kms_key" "alarms" {
  description             = "${var.prefix} alarm topic: CloudWatch alarms of this deployment publish with it"
  enable_key_rotation     = true
  deletion_window_in_days = 7
  policy                  = jsonencode(local.alarm_key_policy)
}

resource "aws_kms_alias" "alarms" {
  name          = "alias/${var.prefix}-alarms"
  target_key_id = aws_kms_key.alarms.key_id
}

resource "aws_sns_topic" "alarms" {
  name              = "${var.prefix}-alarms"
  kms_master_key_id = aws_kms_key.alarms.arn
}

resource "aws_sns_topic_subscription" "email" {
  for_each  = toset(var.alarm_emails)
  topic_arn = aws_sns_topic.alarms.arn
  protocol  = "email"
  endpoint  = each.value
}

resource "aws_cloudwatch_dashboard" "this" {
  dashboard_name = "${var.prefix}-overview"
  dashboard_body = jsonencode({ widgets = local.widgets })
}

resource "aws_cloudwatch_metric_alarm" "index_age" {
  for_each          = toset(var.sources)
  alarm_name        = "${var.prefix}-index-stale-${each.value}"
  alarm_description = "The live index of ${each.value} is older than ${var.max_index_age_s} s: refreshes are not publishing."
  namespace         = local.ns
  metric_name       = "IndexAgeSeconds"
  dimensions        = { Environment = local.env, Source = each.value }
  statistic         = "Maximum"
  # Each scheduled refresh writes the age when it starts (searches write it too, when there are
  # any): one schedule interval per period, so every period holds a data point without searches.
  period              = local.stale_period_s
  evaluation_periods  = 1
  threshold           = var.max_index_age_s
  comparison_operator = "GreaterThanThreshold"
  treat_missing_data  = "missing"
  alarm_actions       = [aws_sns_topic.alarms.arn]
  ok_actions          = [aws_sns_topic.alarms.arn]
}

resource "aws_cloudwatch_metric_alarm" "refresh_failed" {
  for_each            = toset(var.sources)
  alarm_name          = "${var.prefix}-refresh-failed-${each.value}"
  alarm_description   = "A refresh of ${each.value} ended in error; nothing was published. See `nox -s logs -- ${local.env} refresh-service`."
  namespace           = local.ns
  metric_name         = "RefreshFailed"
  dimensions          = { Environment = local.env, Source = each.value }
  statistic           = "Sum"
  period              = 3600
  evaluation_periods  = 1
  threshold           = 1
  comparison_operator = "GreaterThanOrEqualToThreshold"
  treat_missing_data  = "notBreaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
}

resource "aws_cloudwatch_metric_alarm" "refresh_stopped" {
  for_each            = toset(var.sources)
  alarm_name          = "${var.prefix}-refresh-stopped-${each.value}"
  alarm_description   = "No refresh of ${each.value} ran within two schedule intervals (missing data counts as breaching)."
  namespace           = local.ns
  metric_name         = "RefreshRuns"
  dimensions          = { Environment = local.env, Source = each.value }
  statistic           = "Sum"
  period              = local.stale_period_s
  evaluation_periods  = local.stale_periods
  datapoints_to_alarm = local.stale_periods
  threshold           = 1
  comparison_operator = "LessThanThreshold"
  treat_missing_data  = "breaching"
  alarm_actions       = [aws_sns_topic.alarms.arn]
}
