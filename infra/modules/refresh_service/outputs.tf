output "function_name" {
  value = local.create ? aws_lambda_function.this[0].function_name : ""
}

output "repository_url" {
  value = aws_ecr_repository.this.repository_url
}

output "queue_url" {
  value = aws_sqs_queue.fanout.url
}

output "queue_arn" {
  value = aws_sqs_queue.fanout.arn
}

output "dlq_arn" {
  value = aws_sqs_queue.dlq.arn
}
