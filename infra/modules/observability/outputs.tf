output "alarm_topic_arn" {
  value = aws_sns_topic.alarms.arn
}

output "dashboard_name" {
  value = aws_cloudwatch_dashboard.this.dashboard_name
}

output "alarm_names" {
  value = concat(
    [for a in aws_cloudwatch_metric_alarm.index_age : a.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.refresh_failed : a.alarm_name],
    [for a in aws_cloudwatch_metric_alarm.refresh_stopped : a.alarm_name],
  )
}

output "dashboard_body" {
  description = "The dashboard JSON (tests check it names only metrics the code emits)."
  value       = local.widgets
}
