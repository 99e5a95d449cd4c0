output "alb_url" {
  description = "The service behind the load balancer"
  value       = "http://${aws_lb.main.dns_name}"
}

output "ecr_repository_url" {
  description = "Where to push the image (scripts/image.sh, then podman push)"
  value       = aws_ecr_repository.scalelab.repository_url
}

output "hw2_urls" {
  description = "The two hw2 albums instances (empty unless hw2_enabled)"
  value       = [for i in aws_instance.hw2 : "http://${i.public_ip}:${var.container_port}"]
}

output "orders_url" {
  description = "The flash sale's orders service behind the load balancer (empty unless flash_sale_enabled)"
  value       = var.flash_sale_enabled ? "http://${aws_lb.main.dns_name}/orders" : ""
}
