output "function_name" {
  value = aws_lambda_function.this.function_name
}

output "function_url" {
  value = var.enable_function_url ? aws_lambda_function_url.live[0].function_url : ""
}

output "http_api_url" {
  value = var.enable_http_api ? aws_apigatewayv2_stage.default[0].invoke_url : ""
}
