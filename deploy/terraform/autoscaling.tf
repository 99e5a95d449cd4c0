# hw6: target tracking on the service's average CPU.
resource "aws_appautoscaling_target" "scalelab" {
  service_namespace  = "ecs"
  resource_id        = "service/${aws_ecs_cluster.main.name}/${aws_ecs_service.scalelab.name}"
  scalable_dimension = "ecs:service:DesiredCount"
  min_capacity       = var.min_tasks
  max_capacity       = var.max_tasks
}

resource "aws_appautoscaling_policy" "cpu" {
  name               = "${var.name}-cpu-${var.cpu_target}"
  policy_type        = "TargetTrackingScaling"
  service_namespace  = aws_appautoscaling_target.scalelab.service_namespace
  resource_id        = aws_appautoscaling_target.scalelab.resource_id
  scalable_dimension = aws_appautoscaling_target.scalelab.scalable_dimension
  target_tracking_scaling_policy_configuration {
    predefined_metric_specification {
      predefined_metric_type = "ECSServiceAverageCPUUtilization"
    }
    target_value       = var.cpu_target
    scale_out_cooldown = var.cooldown_seconds
    scale_in_cooldown  = var.cooldown_seconds
  }
}
